import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSelector } from '../logql/selector.js';
import { createFileSource } from './file.js';
import { FileTail } from './tail.js';
import { lineFilter } from '../logql/line-filter.js';
import type { SourceEntry } from './types.js';
import { msToNs } from '../stream.js';
import { DHCP_PREAMBLE } from '../../test/fixtures/logs.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'anomalog-file-'));
  mkdirSync(join(dir, 'logs'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const clf = (minute: number, path: string) =>
  `10.0.0.1 - - [01/Jan/2026:00:${String(minute).padStart(2, '0')}:00 +0000] "GET ${path} HTTP/1.1" 200 512 "-" "curl/8"`;
const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z in ns
const MINUTE = 60_000_000_000n;
const all = { start: 0n, end: 1n << 62n, lineFilters: [] };

async function collect(it: AsyncIterable<SourceEntry>): Promise<SourceEntry[]> {
  const out: SourceEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('file source', () => {
  it('maps globs to label sets with filename, parses timestamps, pushes down filters, range and limit', async () => {
    writeFileSync(join(dir, 'logs', 'access.log'), [clf(1, '/a'), clf(2, '/b'), clf(3, '/c')].join('\n') + '\n');
    writeFileSync(join(dir, 'logs', 'access-2.log'), `${clf(4, '/d')}\n`);
    writeFileSync(join(dir, 'logs', 'app.log'), 'not matched by the web glob\n');
    const source = createFileSource([
      { path: join(dir, 'logs', 'access*.log'), labels: { job: 'web' } },
      { path: join(dir, 'logs', 'app.log'), labels: { job: 'app' } },
    ]);
    expect((await source.streams(parseSelector('{job="web"}'))).map((l) => l.filename).sort()).toEqual([
      join(dir, 'logs', 'access-2.log'),
      join(dir, 'logs', 'access.log'),
    ]);
    const web = await collect(source.read({ ...all, selector: parseSelector('{job="web"}') }));
    expect(web.map((e) => e.line.split('"')[1])).toEqual([
      'GET /a HTTP/1.1',
      'GET /b HTTP/1.1',
      'GET /c HTTP/1.1',
      'GET /d HTTP/1.1',
    ]);
    expect(web[0].ts).toBe(T0 + MINUTE);
    expect(web[0].labels).toEqual({ job: 'web', filename: join(dir, 'logs', 'access.log') });

    const window = await collect(
      source.read({
        selector: parseSelector('{job="web"}'),
        lineFilters: [lineFilter('!=', ['/c'])],
        start: T0 + 2n * MINUTE,
        end: T0 + 4n * MINUTE,
      }),
    );
    expect(window.map((e) => e.line)).toEqual([clf(2, '/b')]);
    const newest = await collect(
      source.read({ ...all, selector: parseSelector('{job=~"w.b"}'), limit: 2, direction: 'backward' }),
    );
    expect(newest.map((e) => e.line)).toEqual([clf(4, '/d'), clf(3, '/c')]);
  });

  it('reads only the configured paths, whatever a selector asks for', async () => {
    writeFileSync(join(dir, 'secret.txt'), 'password=hunter2\n');
    writeFileSync(join(dir, 'logs', 'access.log'), `${clf(1, '/a')}\n`);
    const source = createFileSource([{ path: join(dir, 'logs', 'access*.log'), labels: { job: 'web' } }]);
    for (const selector of [
      `{filename="${join(dir, 'secret.txt')}"}`,
      '{filename="/etc/passwd"}',
      '{filename=~".*"}',
    ]) {
      const lines = (await collect(source.read({ ...all, selector: parseSelector(selector) }))).map((e) => e.line);
      expect(lines.join('\n')).not.toContain('hunter2');
    }
    expect((await source.files()).map((f) => f.path)).toEqual([join(dir, 'logs', 'access.log')]);
  });

  it('a glob lists regular files and files behind symbolic links, not directories or dangling links', async () => {
    writeFileSync(join(dir, 'logs', 'a.log'), 'a\n');
    writeFileSync(join(dir, 'elsewhere.txt'), 'b\n');
    symlinkSync(join(dir, 'elsewhere.txt'), join(dir, 'logs', 'b.log'));
    symlinkSync(join(dir, 'missing.txt'), join(dir, 'logs', 'c.log'));
    mkdirSync(join(dir, 'logs', 'd.log'));
    const source = createFileSource([{ path: join(dir, 'logs', '*.log'), labels: { job: 'web' } }]);
    expect((await source.files()).map((f) => f.path)).toEqual([join(dir, 'logs', 'a.log'), join(dir, 'logs', 'b.log')]);
  });

  it('reads the timestamps of a format of your own through its named-group pattern', async () => {
    writeFileSync(
      join(dir, 'logs', 'jobs.log'),
      '2026-01-01T00:01:00Z|INFO|job 1 done\n2026-01-01T00:02:00Z|WARN|job 2 slow\n',
    );
    const source = createFileSource([
      {
        path: join(dir, 'logs', 'jobs.log'),
        labels: { job: 'jobs' },
        pattern: '^(?<ts>[^|]+)\\|(?<level>[A-Z]+)\\|(?<message>.*)$',
      },
    ]);
    expect((await source.files()).map((f) => f.format)).toEqual(['custom']);
    const entries = await collect(source.read({ ...all, selector: parseSelector('{job="jobs"}') }));
    expect(entries.map((e) => e.ts)).toEqual([T0 + MINUTE, T0 + 2n * MINUTE]);
  });

  it('reads a UTF-16 file as its UTF-8 copy', async () => {
    const text = [clf(1, '/a'), clf(2, '/caf\u00e9')].join('\r\n') + '\r\n';
    writeFileSync(join(dir, 'logs', 'utf8.log'), text);
    writeFileSync(
      join(dir, 'logs', 'utf16.log'),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
    );
    const read = async (name: string) =>
      (
        await collect(createFileSource([{ path: join(dir, 'logs', name), labels: {} }]).read({ ...all, selector: [] }))
      ).map(({ ts, line }) => ({ ts, line }));
    const utf16 = await read('utf16.log');
    expect(utf16).toEqual(await read('utf8.log'));
    expect(utf16.map((e) => e.ts)).toEqual([T0 + MINUTE, T0 + 2n * MINUTE]);
  });

  it("times a table's rows when its header comes after a preamble (Windows' DHCP server log)", async () => {
    const rows = Array.from(
      { length: 8 },
      (_, i) => `11,03/04/24,10:0${i}:00,Renew,10.20.30.${i},ws-${i},A0B1C2D3000${i}`,
    );
    const lines = [
      ...DHCP_PREAMBLE,
      ...DHCP_PREAMBLE,
      'ID,Date,Time,Description,IP Address,Host Name,MAC Address',
      ...rows,
    ];
    writeFileSync(join(dir, 'logs', 'DhcpSrvLog-Mon.log'), `${lines.join('\r\n')}\r\n`);
    const entries = await collect(
      createFileSource([{ path: join(dir, 'logs', 'DhcpSrvLog-*.log'), labels: {} }]).read({ ...all, selector: [] }),
    );
    const timed = entries.filter((e) => e.line.startsWith('11,'));
    expect(timed.map((e) => e.ts)).toEqual(rows.map((_, i) => msToNs(Date.UTC(2024, 2, 4, 10, i))));
  });

  it('falls back to the previous line, then the file mtime, for lines without a timestamp', async () => {
    writeFileSync(join(dir, 'logs', 'plain.log'), 'first line without time\nsecond\n');
    const source = createFileSource([{ path: join(dir, 'logs', '*.log'), labels: { job: 'plain' } }]);
    const entries = await collect(source.read({ ...all, selector: parseSelector('{job="plain"}') }));
    expect(entries).toHaveLength(2);
    expect(entries[0].ts).toBe(entries[1].ts);
    expect(Number(entries[0].ts / 1_000_000n)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('file tail', () => {
  const path = () => join(dir, 'logs', 'access.log');
  const texts = (lines: { line: string }[]) => lines.map((l) => l.line);

  it('follows appended lines and holds a partial line until its newline', async () => {
    writeFileSync(path(), 'one\n');
    const tail = new FileTail(path());
    await tail.open('start');
    expect(texts(await tail.poll())).toEqual(['one']);
    appendFileSync(path(), 'two\nthr');
    expect(texts(await tail.poll())).toEqual(['two']);
    appendFileSync(path(), 'ee\n');
    expect(texts(await tail.poll())).toEqual(['three']);
    expect(await tail.poll()).toEqual([]);
    await tail.close();
  });

  it("survives rotation (rename + new file) without losing the old file's last lines", async () => {
    writeFileSync(path(), 'a\n');
    const tail = new FileTail(path());
    await tail.open('start');
    expect(texts(await tail.poll())).toEqual(['a']);
    appendFileSync(path(), 'b\n');
    renameSync(path(), `${path()}.1`);
    writeFileSync(path(), 'c\n');
    expect(texts(await tail.poll())).toEqual(['b', 'c']);
    appendFileSync(path(), 'd\n');
    expect(texts(await tail.poll())).toEqual(['d']);
    await tail.close();
  });

  it('starts again at 0 after truncation (copytruncate)', async () => {
    writeFileSync(path(), 'long line one\nlong line two\n');
    const tail = new FileTail(path());
    await tail.open('start');
    await tail.poll();
    truncateSync(path(), 0);
    appendFileSync(path(), 'new\n');
    expect(texts(await tail.poll())).toEqual(['new']);
    await tail.close();
  });

  it('a file truncated and refilled past the offset between two reads is not read mid-way: replaced, position kept', async () => {
    writeFileSync(path(), 'first\nsecond\n');
    const tail = new FileTail(path());
    await tail.open('start');
    expect(texts(await tail.read())).toEqual(['first', 'second']);
    const before = tail.position();
    truncateSync(path(), 0);
    appendFileSync(path(), 'other first line\nmore lines after it\n');
    const look = tail.next();
    expect({ lines: look.lines, replaced: look.replaced, position: tail.position() }).toEqual({
      lines: [],
      replaced: true,
      position: before,
    });
    expect(texts(await tail.poll())).toEqual(['other first line', 'more lines after it']);
    await tail.close();
  });

  it('resumes at a checkpoint, also when the file was rotated meanwhile', async () => {
    writeFileSync(path(), 'a\nb\n');
    const first = new FileTail(path());
    await first.open('start');
    await first.poll();
    const checkpoint = first.position();
    await first.close();

    appendFileSync(path(), 'c\n');
    const again = new FileTail(path());
    expect(await again.open(checkpoint)).toEqual([]);
    expect(texts(await again.poll())).toEqual(['c']);
    await again.close();

    renameSync(path(), `${path()}.1`);
    writeFileSync(path(), 'd\n');
    const rotated = new FileTail(path());
    expect(texts(await rotated.open(checkpoint))).toEqual(['c']);
    expect(texts(await rotated.poll())).toEqual(['d']);
    await rotated.close();
  });

  /** `text` in UTF-16 of either byte order, as Windows writes it (PowerShell's `>`, SQL Server's ERRORLOG). */
  const utf16 = (text: string, order: 'le' | 'be') => {
    const le = Buffer.from(text, 'utf16le');
    return order === 'le' ? le : Buffer.from(le).swap16();
  };
  // U+010A and U+0A05 each hold a 0x0a byte that is not a newline, in either byte order.
  const tricky = 'Ċ ਅ caf\u00e9 \u{1F600}';

  for (const order of ['le', 'be'] as const)
    it(`follows a UTF-16${order.toUpperCase()} file as the same lines, at its byte offsets (CRLF, a byte-order mark, a character written in halves)`, async () => {
      const bom = order === 'le' ? Buffer.from([0xff, 0xfe]) : Buffer.from([0xfe, 0xff]);
      writeFileSync(path(), Buffer.concat([bom, utf16(`first ${tricky}\r\nsecond\n`, order)]));
      const tail = new FileTail(path());
      await tail.open('start');
      const read = await tail.poll();
      expect(read).toEqual([
        { line: `first ${tricky}`, start: 0, end: 2 + 2 * (`first ${tricky}`.length + 2) },
        { line: 'second', start: read[0].end, end: read[0].end + 14 },
      ]);
      // A writer's half-written character is left until its other byte comes; so is a line without its newline.
      const third = utf16('third Ċ\n', order);
      appendFileSync(path(), third.subarray(0, 13));
      const look = tail.next();
      expect({ lines: look.lines, more: look.more }).toEqual({ lines: [], more: false });
      appendFileSync(path(), third.subarray(13));
      expect(texts(await tail.poll())).toEqual(['third Ċ']);

      const checkpoint = tail.position();
      expect(checkpoint.offset).toBe(read[1].end + third.length);
      await tail.close();
      appendFileSync(path(), utf16('fourth\n', order));
      const again = new FileTail(path());
      await again.open(checkpoint);
      expect(texts(await again.poll())).toEqual(['fourth']);
      await again.close();
    });

  it('tells UTF-16 without a byte-order mark by its zero bytes, also when it starts at the end of the file', async () => {
    writeFileSync(path(), utf16('2026-12-07 10:00:00 started\n', 'le'));
    const tail = new FileTail(path());
    await tail.open('end');
    appendFileSync(path(), utf16('2026-12-07 10:00:01 next\n', 'le'));
    expect(texts(await tail.poll())).toEqual(['2026-12-07 10:00:01 next']);
    await tail.close();
  });

  it("drops a UTF-8 byte-order mark from the file's first line only", async () => {
    writeFileSync(path(), '\ufeffone\n\ufefftwo\n');
    const tail = new FileTail(path());
    await tail.open('start');
    expect(texts(await tail.poll())).toEqual(['one', '\ufefftwo']);
    await tail.close();
  });

  it('cuts a huge UTF-16 line into pieces of whole characters, and reads it in bounded batches of any size', async () => {
    writeFileSync(path(), Buffer.concat([Buffer.from([0xff, 0xfe]), utf16(`${'é'.repeat(11)}\nok\n`, 'le')]));
    const tail = new FileTail(path(), 9);
    await tail.open('start');
    const lines: string[] = [];
    for (let look = tail.next(3); look.bytes > 0 || look.more; look = tail.next(3)) lines.push(...texts(look.lines));
    // The first piece's 8 bytes hold the byte-order mark (dropped) and 3 characters.
    expect(lines).toEqual(['ééé', 'éééé', 'éééé', 'ok']);
    await tail.close();
  });

  it('cuts huge lines into bounded pieces and keeps bad UTF-8 readable', async () => {
    writeFileSync(
      path(),
      Buffer.concat([Buffer.from('x'.repeat(25)), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from('ok\n')]),
    );
    const tail = new FileTail(path(), 10);
    await tail.open('start');
    const lines = texts(await tail.poll());
    expect(lines.slice(0, 3)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5) + '\ufffd\ufffd']);
    expect(lines[3]).toBe('ok');
    await tail.close();
  });
});
