import { describe, expect, it } from 'vitest';
import { asJsonLines, isJsonDocument } from './json-document.js';

/** The lines `asJsonLines` makes of `text`, fed in chunks of `size` bytes (every split point a chunk edge). */
async function linesOf(text: string, size = 7): Promise<string[]> {
  const bytes = Buffer.from(text);
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
  }
  let out = '';
  for await (const chunk of asJsonLines(chunks())) out += chunk.toString('utf8');
  return out.split('\n').filter((l) => l !== '');
}

const events = [
  { Message: 'An account failed to log on.\r\n\tReason: [bad], {password}, "x"', Id: 4625, Properties: [{ Value: 1 }] },
  { Message: 'The audit log was cleared.\\', Id: 1102, Properties: [] },
];
const compact = events.map((e) => JSON.stringify(e));

describe('JSON documents', () => {
  it("reads a pretty-printed array (PowerShell's ConvertTo-Json, gcloud) as one line per element, at any chunking", async () => {
    const pretty = JSON.stringify(events, null, 4).replace(/": /g, '":  ').replace(/\n/g, '\r\n');
    for (const size of [1, 3, 64, 1 << 20]) expect(await linesOf(pretty, size)).toEqual(compact);
  });

  it('reads the records a wrapper holds in its first member (CloudTrail, on one line) or its items (kubectl)', async () => {
    const trail = JSON.stringify({ Records: events });
    expect(await linesOf(`${trail}${' '.repeat(5000)}\n`)).toEqual(compact);
    const list = JSON.stringify(
      { apiVersion: 'v1', items: events, kind: 'List', metadata: { a: [{ b: 1 }] } },
      null,
      2,
    );
    expect(await linesOf(list)).toEqual(compact);
  });

  it("reads jq's stream of pretty-printed objects as one line per object, an array inside one kept in it", async () => {
    const stream = events.map((e) => JSON.stringify(e, null, 2)).join('\n');
    expect(await linesOf(stream)).toEqual(compact);
    expect(await linesOf(JSON.stringify(events[0], null, 2))).toEqual([compact[0]]);
  });

  it('leaves JSON lines and logs that start with a bracket as they are', async () => {
    const jsonLines = `${compact.join('\n')}\n`;
    const apache = '[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok\n[Sun Dec 04 04:47:45 2005] [error] x\n';
    const bracketed = '[2024-03-01 10:00:00] local.ERROR: {"a":1}\n[10.30 16:49:06] chrome.exe - proxy:5070\n';
    for (const text of [jsonLines, apache, bracketed]) {
      expect(isJsonDocument(text)).toBe(false);
      expect(await linesOf(text)).toEqual(text.split('\n').filter((l) => l !== ''));
    }
    let found = 0;
    for await (const chunk of asJsonLines(
      (async function* () {
        yield Buffer.from(jsonLines);
      })(),
      () => found++,
    ))
      expect(chunk.toString()).toBe(jsonLines);
    expect(found).toBe(0);
    expect(isJsonDocument('[\n  {"a": 1}\n]')).toBe(true);
    expect(isJsonDocument('{\n  "a": 1\n}')).toBe(true);
  });

  it('keeps what a cut or broken file holds: the last record, text outside any value', async () => {
    const cut = JSON.stringify(events, null, 2).slice(0, -40);
    const lines = await linesOf(cut);
    expect(lines[0]).toBe(compact[0]);
    expect(lines).toHaveLength(2);
    expect(await linesOf('[{"a":1}]\ntrailing words\n{"b":2}')).toEqual(['{"a":1}', 'trailing words', '{"b":2}']);
    const junk = await linesOf(`[]${'x'.repeat(5 * 1024 * 1024)}`, 1 << 20);
    expect(junk.map((l) => l.length)).toEqual([4 * 1024 * 1024]);
  });
});
