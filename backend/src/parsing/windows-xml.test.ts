import { describe, expect, it } from 'vitest';
import { asEventLines, parseWindowsXml } from './windows-xml.js';

const event = (id: number) =>
  `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>${id}</EventID></System><EventData><Data Name='TargetUserName'>u${id}</Data></EventData></Event>`;

async function linesOf(text: string, size: number, found?: () => void): Promise<string[]> {
  const bytes = Buffer.from(text);
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
  }
  let out = '';
  for await (const chunk of asEventLines(chunks(), found)) out += chunk.toString('utf8');
  return out.split('\n');
}

describe('Windows events as XML', () => {
  it("puts each event of a one-line export (wevtutil qe /f:xml, Event Viewer's Save as XML) on a line, at any chunking", async () => {
    const events = Array.from({ length: 300 }, (_, i) => event(4600 + i));
    const exported = `<?xml version="1.0" encoding="UTF-8"?><Events>${events.join('')}</Events>`;
    for (const size of [5, 97, 4096, 1 << 20]) {
      let found = 0;
      const lines = await linesOf(exported, size, () => found++);
      expect(found).toBe(1);
      expect(lines.length).toBe(302);
      for (const wrapper of [lines[0], lines[301]]) expect(parseWindowsXml(wrapper)).toMatchObject({ header: true });
      expect(lines.slice(1, 301).map((l) => parseWindowsXml(l)?.numeric?.EventID)).toEqual(
        events.map((_, i) => 4600 + i),
      );
    }
  });

  it('leaves files of one event a line, and other files, as they are', async () => {
    const perLine = `${event(1)}\r\n${event(2)}`;
    let found = 0;
    expect(await linesOf(perLine, 7, () => found++)).toEqual([event(1), event(2), '']);
    expect(found).toBe(0);
    const other = '<root><Event>not Windows</Event></root>\n';
    expect(await linesOf(other, 7)).toEqual(other.split('\n'));
  });
});
