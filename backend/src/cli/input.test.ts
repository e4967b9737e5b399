import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CliError } from '@anomalog/cli-kit';
import { checkText, openInput } from './input.js';
import { MAX_LINE_CHARS, PIECE_BYTES, splitLines } from '../parsing/lines.js';

async function readAll(path: string): Promise<{ lines: string[]; truncated: number }> {
  const input = await openInput(path);
  const lines: string[] = [];
  for await (const batch of input.batches()) lines.push(...batch);
  return { lines, truncated: input.truncated };
}

describe('log input', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'anomalog-input-'));
  const file = async (name: string, content: string | Buffer) => {
    const p = join(dir, name);
    await writeFile(p, content);
    return p;
  };

  it('splits lines, drops CR, keeps a last line without newline and replaces bad UTF-8', async () => {
    const path = await file(
      'mixed.log',
      Buffer.concat([Buffer.from('a\r\nb\n\nc'), Buffer.from([0xff]), Buffer.from('d')]),
    );
    expect((await readAll(path)).lines).toEqual(['a', 'b', '', 'c\ufffdd']);
  });

  it('reads ASCII and multi-byte UTF-8 lines alike', async () => {
    expect((await readAll(await file('ascii.log', 'GET /a 200\nGET /b 404\n'))).lines).toEqual([
      'GET /a 200',
      'GET /b 404',
    ]);
    expect((await readAll(await file('utf8.log', 'café 200\n日本 ✓\n'))).lines).toEqual(['café 200', '日本 ✓']);
  });

  it('splits a chunk decoded in pieces exactly as the whole chunk decoded at once', () => {
    const lines = Array.from({ length: 3000 }, (_, i) =>
      i % 7 === 0
        ? `é line ${i} ✓\r`
        : i === 1500
          ? 'x'.repeat(2 * PIECE_BYTES)
          : `GET /line/${i} HTTP/1.1 ${'y'.repeat(i % 50)}`,
    );
    const chunk = Buffer.concat([Buffer.from(`${lines.join('\n')}\n`), Buffer.from([0xe2, 0x82, 0x0a, 0x41])]);
    const whole = chunk
      .toString('utf8')
      .split('\n')
      .map((l) => l.replace(/\r$/, ''));
    expect(chunk.length).toBeGreaterThan(4 * PIECE_BYTES);
    expect(splitLines(chunk, () => {})).toEqual(whole);
  });

  it('reads gzip by its magic bytes, whatever the name', async () => {
    const path = await file('plain-name.log', gzipSync('one\ntwo\n'));
    expect((await readAll(path)).lines).toEqual(['one', 'two']);
  });

  it("reads Windows' UTF-16 (either byte order, with or without a byte-order mark) and drops UTF-8's mark", async () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `2016-09-28 04:30:${i % 60}, Info CBS café ${i} ✓`);
    const text = `${lines.join('\r\n')}\r\n`;
    const le = Buffer.from(text, 'utf16le');
    const be = Buffer.from(le).swap16();
    expect(le.length).toBeGreaterThan(2 * (1 << 20));
    for (const [name, bytes] of [
      ['le-bom.log', Buffer.concat([Buffer.from([0xff, 0xfe]), le])],
      ['be-bom.log', Buffer.concat([Buffer.from([0xfe, 0xff]), be])],
      ['le.log', le],
      ['utf8-bom.log', Buffer.from(`\ufeff${text}`)],
      ['le-bom.log.gz', gzipSync(Buffer.concat([Buffer.from([0xff, 0xfe]), le]))],
    ] as const) {
      expect((await readAll(await file(name, bytes))).lines, name).toEqual(lines);
    }
  });

  it('reads a pretty-printed JSON document, also in UTF-16 as PowerShell writes it, as one line per record', async () => {
    const events = [
      { Message: 'An account failed to log on.', Id: 4625 },
      { Message: 'The audit log was cleared.', Id: 1102 },
    ];
    const pretty = JSON.stringify(events, null, 4).replace(/\n/g, '\r\n');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(pretty, 'utf16le')]);
    expect((await readAll(await file('events.json', utf16))).lines).toEqual(events.map((e) => JSON.stringify(e)));
  });

  it('cuts a huge line and counts it, keeping the lines around it', async () => {
    const path = await file('huge.log', `x\n${'é'.repeat(3 * MAX_LINE_CHARS)}\ny\n`);
    const { lines, truncated } = await readAll(path);
    expect(lines.map((l) => l.length)).toEqual([1, MAX_LINE_CHARS, 1]);
    expect(truncated).toBe(1);
  });

  it('refuses NUL-filled and random binary data but accepts text with a few bad bytes', () => {
    expect(() => checkText(Buffer.alloc(4096), 'zeros')).toThrow(
      new CliError('zeros looks like binary data, not a text log'),
    );
    expect(() => checkText(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), 'random')).toThrow(
      CliError,
    );
    const text = Buffer.from('GET / HTTP/1.1 200\n'.repeat(100));
    text[50] = 0;
    text[60] = 0xff;
    expect(() => checkText(text, 'text')).not.toThrow();
  });

  it('refuses corrupt gzip with one line', async () => {
    const gz = gzipSync('hello\n'.repeat(1000));
    const path = await file('broken.gz', gz.subarray(0, gz.length - 20));
    await expect(readAll(path)).rejects.toThrow(/cannot read .*broken\.gz: corrupt gzip data/);
  });
});
