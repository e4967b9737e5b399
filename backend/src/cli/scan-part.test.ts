import { describe, expect, it } from 'vitest';
import { hdfsSessions, normalAccessLog, plantedAccessLine, systemLog, zeekConnLog } from '../../test/fixtures/logs.js';
import { train } from '../pipeline/index.js';
import type { Model } from '../models/index.js';
import { Summary } from '../pipeline/index.js';
import { LineDealer, partitionOf, ScanPart } from './scan-part.js';
import { OrderedMerge } from './scan-threads.js';
import { MAX_LINE_CHARS } from '../parsing/lines.js';

/** The log as chunks of whole lines, cut at uneven places. */
function chunksOf(lines: string[], cuts: number[]): Buffer[] {
  const bounds = [0, ...cuts, lines.length];
  return bounds.slice(1).map((end, i) => Buffer.from(`${lines.slice(bounds[i], end).join('\n')}\n`));
}

/** Deals the chunks to `parts` parts and scores them (as the threads do), then puts the output back in input order. */
function scan(model: Model, chunks: Buffer[], parts: number, json: boolean): { text: string; summary: Summary } {
  const dealer = new LineDealer(parts, partitionOf(model) ?? { by: 'block' });
  const scanners = Array.from({ length: parts }, () => new ScanPart(model, { detector: 'ensemble', json, labels: {} }));
  const merge = new OrderedMerge(parts);
  let text = '';
  for (const chunk of chunks) {
    const shares = dealer.deal(chunk);
    scanners.forEach((s, part) => merge.add(part, s.push(shares[part])));
    text += merge.take().toString();
  }
  scanners.forEach((s, part) => merge.add(part, s.end()));
  text += merge.take().toString();
  expect(merge.held).toBe(0);
  const summary = new Summary();
  for (const s of scanners) summary.merge(s.summary);
  return { text, summary };
}

describe('ScanPart', () => {
  it('finds a burst in new data the same on any number of parts: blocks of lines hold whole minutes', async () => {
    const model = await train(systemLog(220, 40), { detector: 'iforest', seed: 2 });
    // Minute 190 spans line 7,681, where blocks of 512 lines would pass from part 0 to part 1 (15 of 32 blocks go to
    // the main thread): dealt so, the burst's 14 lines would be counted 4 and 10 apart.
    const lines = systemLog(220, 40, { 190: 14 });
    const first = lines.findIndex((l) => l.startsWith('2024-03-01 13:10'));
    expect(first).toBeLessThan(7680);
    expect(first + 54).toBeGreaterThan(7680);
    const chunks = chunksOf(lines, [100, 4000, 7670, 7700]);
    const one = scan(model, chunks, 1, true);
    const flagged = one.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; anomaly: boolean; reasons: string[]; burst?: string })
      .filter((r) => r.anomaly);
    expect(flagged.map((r) => lines[r.line - 1])).toEqual(
      lines.filter((l) => l.startsWith('2024-03-01 13:10') && l.includes('ERROR')),
    );
    expect(new Set(flagged.map((r) => `${r.burst} ${r.reasons.join('; ')}`))).toEqual(
      new Set([
        '1@2024-03-01T13:10Z burst: 14 lines of this template in the minute from 2024-03-01 13:10 (usually at most 1 a minute when it appears)',
      ]),
    );
    expect(scan(model, chunks, 2, true).text).toBe(one.text);
    expect(scan(model, chunks, 3, true).text).toBe(one.text);
    // No minute is split between parts.
    const dealer = new LineDealer(2, partitionOf(model)!);
    const partOf = new Map<string, Set<number>>();
    for (const chunk of chunks)
      dealer.deal(chunk).forEach((share, part) => {
        for (const l of share.lines)
          (partOf.get(l.slice(0, 16)) ?? partOf.set(l.slice(0, 16), new Set()).get(l.slice(0, 16))!).add(part);
      });
    expect([...partOf.values()].filter((parts) => parts.size > 1)).toEqual([]);
    expect(new Set([...partOf.values()].flatMap((p) => [...p]))).toEqual(new Set([0, 1]));
  });

  // The second template is mostly variables: no token is in every line of it (Drain.needles), so the dealer finds its
  // lines by parsing every line, not only those that hold a needle.
  it.each([
    ['write failed on volume data (retry', false, () => 'write failed on volume data (retry'],
    [
      'write failed vol=<*> sector=<*> code=<*> dev=<*>',
      true,
      (k: number) => `write failed vol=${k + 3} sector=${k * 7 + 100} code=${k % 5} dev=${k + 10}`,
    ],
  ])(
    'starts an episode of "%s" once when it spans blocks of two parts, as on one part',
    async (_, everyLine, message) => {
      // 1,000 minutes of routine lines; a template's 12 lines within 6 minutes (under 1% of the span: an episode)
      // placed across the first line where the blocks pass from part 0 to part 1.
      const lines = systemLog(1000, 40);
      // The blocks as the model's partition deals them (a dealer that parses every line keeps fewer for part 0).
      const dealt = new LineDealer(2, {
        by: 'block',
        minuteOf: (l) => Math.floor(Date.parse(`${l.slice(0, 10)}T${l.slice(11, 19)}Z`) / 60_000),
        sightings: { everyLine, of: () => undefined },
      });
      const [, second] = dealt.deal(Buffer.from(`${lines.join('\n')}\n`));
      const handover = second.numbers[0] - 1;
      const episode = Array.from({ length: 12 }, (_, k) => handover - 200 + k * 30);
      episode.forEach((i, k) => (lines[i] = `${lines[i].slice(0, 23)} ERROR [disk] com.example.Disk: ${message(k)}`));
      const model = await train(lines, { detector: 'iforest', seed: 2 });
      expect(partitionOf(model)).toMatchObject({ sightings: { everyLine } });
      const chunks = chunksOf(lines, [5000, 7000, 30_000]);
      const episodeStarts = (text: string) =>
        text
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as { line: number; reasons: string[] })
          .filter((r) => r.reasons.some((reason) => reason.startsWith('start of an episode')))
          .map((r) => r.line);
      const one = scan(model, chunks, 1, true).text;
      expect(episodeStarts(one)).toEqual([episode[0] + 1]);
      const dealer = new LineDealer(2, partitionOf(model)!);
      const owners = chunks.flatMap((chunk) =>
        dealer.deal(chunk).flatMap((share, part) => Array.from(share.numbers, (n) => [n - 1, part])),
      );
      expect(new Set(owners.filter(([i]) => episode.includes(i)).map(([, part]) => part))).toEqual(new Set([0, 1]));
      expect(scan(model, chunks, 2, true).text).toBe(one);
      expect(scan(model, chunks, 3, true).text).toBe(one);
    },
  );

  it("finds a network sensor's port sweep the same on any number of parts: counts restart at each block", async () => {
    const lines = zeekConnLog(120, { scan: { minute: 70, ports: 300 }, resolver: true });
    const model = await train(lines, { detector: 'iforest', seed: 1 });
    const chunks = chunksOf(lines, [3000, 8000]);
    const one = scan(model, chunks, 1, true).text;
    expect(one.match(/a scan\?/g)).toHaveLength(275);
    expect(scan(model, chunks, 2, true).text).toBe(one);
    expect(scan(model, chunks, 3, true).text).toBe(one);
  });

  it('scores an access log in parts (dealt by client) exactly as in one part', async () => {
    const lines = normalAccessLog(4000, 5);
    lines[1000] = plantedAccessLine(1000, {
      target: '/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--',
      ua: 'sqlmap/1.7.2',
    });
    lines[2000] = 'garbage that is not an access line';
    const model = await train(lines, { detector: 'iforest', seed: 4 });
    expect(partitionOf(model)).toEqual({ by: 'client' });
    const chunks = chunksOf(lines, [1, 999, 2500]);
    const one = scan(model, chunks, 1, true);
    expect(one.text.split('\n')).toHaveLength(4001);
    expect(scan(model, chunks, 3, true).text).toBe(one.text);
    const summaries = [scan(model, chunks, 1, false).summary, scan(model, chunks, 2, false).summary];
    expect(summaries[1]).toEqual(summaries[0]);
    expect(summaries[0].top[0].lineNo).toBe(1001);
  });

  it("deals a container's lines by the client inside them, with a model of plain lines, exactly as in one part", async () => {
    const lines = normalAccessLog(4000, 5);
    const model = await train(lines, { detector: 'iforest', seed: 4 });
    const cri = lines.map((l, i) => `${new Date(Date.UTC(2026, 11, 7) + i * 1000).toISOString()} stdout F ${l}`);
    const chunks = chunksOf(cri, [999, 2500]);
    const plain = scan(model, chunksOf(lines, [999, 2500]), 1, true).text;
    expect(scan(model, chunks, 1, true).text).toBe(plain);
    expect(scan(model, chunks, 3, true).text).toBe(plain);
  });

  it('writes each --json line as UTF-8 and says where it ends, past its first 1 MB of output and wherever it is not ASCII', async () => {
    const lines = normalAccessLog(12_000, 7);
    const model = await train(lines.slice(0, 1000), { detector: 'iforest', seed: 3 });
    for (let i = 0; i < lines.length; i += 100)
      lines[i] = plantedAccessLine(i, { target: `/caf${'é'.repeat(i % 7)}/${i}`, ua: 'sqlmap σ' });
    const share = { lines, numbers: Int32Array.from(lines, (_, i) => 101 + i), starts: [] };
    const out = new ScanPart(model, { json: true, labels: {} }).push(share);
    expect(out.bytes.length).toBeGreaterThan(2 ** 20);
    const texts = Buffer.from(out.bytes).toString().split('\n').slice(0, -1);
    expect(texts.map((t) => JSON.parse(t).line)).toEqual([...share.numbers]);
    expect([...out.numbers]).toEqual([...share.numbers]);
    let end = 0;
    expect([...out.ends]).toEqual(texts.map((t) => (end += Buffer.byteLength(`${t}\n`))));
    expect(JSON.parse(texts[600]).template).toBe(`GET /caf${'é'.repeat(600 % 7)}/<*>`);
  });

  it('keeps a session in one part and holds its lines until it closes', async () => {
    const lines = hdfsSessions(300);
    const model = await train(lines, { detector: 'iforest', sessionKey: 'blk_-?\\d+', seed: 2 });
    expect(partitionOf(model)).toEqual({ by: 'session', key: 'blk_-?\\d+' });
    const chunks = chunksOf(lines, [700, 701]);
    expect(scan(model, chunks, 2, true).text).toBe(scan(model, chunks, 1, true).text);
  });

  it('scores system lines without sessions in blocks', async () => {
    const lines = hdfsSessions(400);
    const model = await train(lines, { detector: 'iforest', seed: 2 });
    expect(partitionOf(model)).toMatchObject({ by: 'block' });
    const chunks = chunksOf(lines, [600]);
    expect(scan(model, chunks, 3, true).text).toBe(scan(model, chunks, 1, true).text);
  });

  it('deals a JSON access log by the client its parser reads, exactly as in one part', async () => {
    const lines = normalAccessLog(3000, 6).map((l) => {
      const [ip, , , day, zone, method, target] = l.split(' ');
      const status = Number(/" (\d{3}) /.exec(l)![1]);
      return JSON.stringify({
        time_local: `${day.slice(1)} ${zone.slice(0, -1)}`,
        method: method.slice(1),
        uri: target,
        status,
        remote_addr: ip,
      });
    });
    const model = await train(lines, { detector: 'iforest', seed: 4 });
    expect(model.format).toBe('json-access');
    const partition = partitionOf(model);
    expect(partition).toMatchObject({ by: 'client' });
    const chunks = chunksOf(lines, [700, 1900]);
    const one = scan(model, chunks, 1, true);
    expect(scan(model, chunks, 3, true).text).toBe(one.text);
    // The first token of a JSON line is no client: dealt by it, a client's lines would be split among the parts.
    const dealer = new LineDealer(3, partition!);
    const parts = new Map<string, Set<number>>();
    for (const chunk of chunks)
      dealer.deal(chunk).forEach((share, part) => {
        for (const line of share.lines) {
          const ip = (JSON.parse(line) as { remote_addr: string }).remote_addr;
          parts.set(ip, (parts.get(ip) ?? new Set()).add(part));
        }
      });
    expect([...parts.values()].every((p) => p.size === 1)).toBe(true);
  });

  // Logs whose columns a directive names, written again mid-file with the columns in another order (IIS, Zeek).
  type Row = { ip: string; method: string; stem: string; query: string; status: string; bytes: string; time: string };
  interface DirectiveLayout {
    before: string;
    after: string;
    row: (r: Row, second: boolean) => string;
    by: 'client' | 'block';
    /** A line after the second directive, read by it. */
    template: RegExp;
  }
  const epoch = (r: Row) => String(Date.parse(`2024-03-01T${r.time}Z`) / 1000);
  const directiveLayouts: Record<string, DirectiveLayout> = {
    w3c: {
      before: '#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status sc-bytes',
      after: '#Fields: date time cs-method cs-uri-stem cs-uri-query c-ip sc-bytes sc-status',
      row: (r, second) =>
        second
          ? `2024-03-01 ${r.time} ${r.method} ${r.stem} ${r.query} ${r.ip} ${r.bytes} ${r.status}`
          : `2024-03-01 ${r.time} ${r.ip} ${r.method} ${r.stem} ${r.query} ${r.status} ${r.bytes}`,
      by: 'client',
      template: /^[A-Z]+ \//,
    },
    'zeek-http': {
      before: '#fields\tts\tuid\tid.orig_h\tmethod\turi\tstatus_code\tresponse_body_len',
      after: '#fields\tts\tmethod\turi\tid.orig_h\tresponse_body_len\tstatus_code',
      row: (r, second) => {
        const ts = epoch(r);
        const uri = r.query === '-' ? r.stem : `${r.stem}?${r.query}`;
        return (
          second ? [ts, r.method, uri, r.ip, r.bytes, r.status] : [ts, 'C1', r.ip, r.method, uri, r.status, r.bytes]
        ).join('\t');
      },
      by: 'client',
      template: /^[A-Z]+ \//,
    },
    // A conn.log: a system log, dealt in blocks.
    zeek: {
      before: '#fields\tts\tuid\tid.orig_h\tid.resp_p\tproto\tservice\tconn_state\torig_bytes',
      after: '#fields\tts\torig_bytes\tconn_state\tservice\tproto\tid.resp_p\tid.orig_h',
      row: (r, second) => {
        const service = r.status === '200' ? 'http' : 'ssl';
        const state = r.status === '200' ? 'SF' : 'RSTO';
        return (
          second
            ? [epoch(r), r.bytes, state, service, 'tcp', '443', r.ip]
            : [epoch(r), 'C1', r.ip, '443', 'tcp', service, state, r.bytes]
        ).join('\t');
      },
      by: 'block',
      template: /proto=tcp/,
    },
  };

  it.each(Object.keys(directiveLayouts))(
    'reads a %s log in parts exactly as in one part, each part reading every directive that names the columns',
    async (format) => {
      const layout = directiveLayouts[format];
      const rows = normalAccessLog(10_000, 7).map((l): Row => {
        const [ip, , , day, , method, target] = l.split(' ');
        const [status, bytes] = /" (\d{3}) (\d+)/.exec(l)!.slice(1);
        const [stem, query] = target.split('?');
        return { ip, method: method.slice(1), stem, query: query ?? '-', status, bytes, time: day.slice(13) };
      });
      // The second directive after 8,000 rows: past the 15 blocks of 512 lines that the main thread scores first.
      const lines = [
        layout.before,
        ...rows.slice(0, 8000).map((r) => layout.row(r, false)),
        layout.after,
        ...rows.slice(8000).map((r) => layout.row(r, true)),
      ];
      const model = await train(lines.slice(0, 1501), { detector: 'iforest', seed: 4 });
      expect(model.format).toBe(format);
      expect(partitionOf(model)).toMatchObject({ by: layout.by });
      const chunks = chunksOf(lines, [700, 2200, 8500]);
      const dealer = new LineDealer(3, partitionOf(model)!);
      const owners = chunks.flatMap((chunk) =>
        dealer.deal(chunk).flatMap((share, part) => [...share.numbers].filter((n) => n > 0).map((n) => [n, part])),
      );
      const ownerOf = new Map(owners.map(([n, part]) => [n, part]));
      const after = owners.filter(([n]) => n > 8002).map(([, part]) => part);
      expect(after.some((part) => part !== ownerOf.get(8002))).toBe(true);
      const one = scan(model, chunks, 1, true);
      expect(one.text.split('\n')).toHaveLength(lines.length + 1);
      expect(scan(model, chunks, 3, true).text).toBe(one.text);
      const last = JSON.parse(one.text.split('\n')[lines.length - 1]) as { template: string };
      expect(last.template).toMatch(layout.template);
    },
  );

  it('keeps a CSV export in one part: its records go on over lines, which a part starting mid-record would misread', async () => {
    const lines = ['Level,Date and Time,Source,Event ID,Task Category'];
    for (let i = 0; i < 1500; i++) {
      const t = `3/1/2024 ${1 + Math.floor(i / 120)}:${String(Math.floor(i / 2) % 60).padStart(2, '0')}:00 AM`;
      lines.push(
        `Information,${t},Microsoft-Windows-Security-Auditing,4624,Logon,"An account was successfully logged on.`,
        '',
        'Subject:',
        `\tAccount Name:\t\tuser${i % 7}"`,
      );
    }
    const model = await train(lines, { detector: 'iforest', seed: 1 });
    expect(model.format).toBe('csv');
    expect(partitionOf(model)).toBeUndefined();
    const chunks = chunksOf(lines, [2999, 4001]);
    const one = scan(model, chunks, 1, true).text.trimEnd().split('\n');
    expect(one).toHaveLength(lines.length);
    expect(one.filter((l) => l.includes('"template":"<continued>"'))).toHaveLength(4500);
    // dealt in blocks anyway, the second part starts inside a record and reads its last line as a row of its own
    const dealer = new LineDealer(2, { by: 'block' });
    const scanners = [0, 1].map(() => new ScanPart(model, { detector: 'iforest', json: true, labels: {} }));
    let text = '';
    for (const chunk of chunks)
      dealer.deal(chunk).forEach((share, part) => (text += Buffer.from(scanners[part].push(share).bytes).toString()));
    expect(text.split('\n').filter((l) => l.includes('"template":"<continued>"')).length).toBeLessThan(4500);
  });

  it('cannot deal web sessions keyed by something else than the client', async () => {
    const lines = normalAccessLog(500).map((l, i) => `${l} req=${i % 50}`);
    const model = await train(lines, { detector: 'iforest', sessionKey: 'req=\\d+', seed: 1 });
    expect(partitionOf(model)).toBeUndefined();
  });
});

describe('LineDealer', () => {
  it('deals every line once, in order, each with its input line number; clients stay whole', () => {
    const lines = normalAccessLog(3000, 3);
    const dealer = new LineDealer(3, { by: 'client' });
    const shares = chunksOf(lines, [1000, 1001]).flatMap((chunk) =>
      dealer.deal(chunk).map((share, part) => ({ share, part })),
    );
    const dealt = new Map<number, { line: string; part: number }>();
    for (const { share, part } of shares) {
      expect(share.lines).toHaveLength(share.numbers.length);
      share.numbers.forEach((n, i) => dealt.set(n, { line: share.lines[i], part }));
      expect([...share.numbers]).toEqual([...share.numbers].sort((a, b) => a - b));
    }
    expect(dealt.size).toBe(3000);
    lines.forEach((line, i) => expect(dealt.get(i + 1)?.line).toBe(line));
    const partOf = new Map<string, number>();
    for (const { line, part } of dealt.values()) {
      const client = line.split(' ')[0];
      expect(partOf.get(client) ?? part).toBe(part);
      partOf.set(client, part);
    }
    // The main thread's part (0) gets a somewhat smaller share than each worker.
    const sizes = [0, 1, 2].map((p) => [...dealt.values()].filter((d) => d.part === p).length);
    expect(sizes[0]).toBeLessThan(sizes[1] + sizes[2]);
    expect(Math.min(...sizes)).toBeGreaterThan(600);
    expect(dealer.lines).toBe(3000);
  });

  it('deals vhost_combined lines by their client, the second token, and spreads them over the parts', () => {
    const lines = normalAccessLog(3000, 3).map((l) => `shop.example.com:443 ${l}`);
    const dealer = new LineDealer(3, { by: 'client' });
    const partsOf = new Map<string, Set<number>>();
    for (const chunk of chunksOf(lines, [1500]))
      dealer.deal(chunk).forEach((share, part) => {
        for (const line of share.lines) {
          const client = line.split(' ')[1];
          partsOf.set(client, (partsOf.get(client) ?? new Set()).add(part));
        }
      });
    expect([...partsOf.values()].every((p) => p.size === 1)).toBe(true);
    expect(new Set([...partsOf.values()].flatMap((p) => [...p])).size).toBe(3);
  });

  it('counts the lines it cuts', () => {
    const dealer = new LineDealer(2, { by: 'block' });
    const [a, b] = dealer.deal(Buffer.from(`short\n${'x'.repeat(MAX_LINE_CHARS + 10)}\n`));
    expect(dealer.truncated).toBe(1);
    expect([...a.lines, ...b.lines].map((l) => l.length)).toEqual([5, MAX_LINE_CHARS]);
  });
});

describe('OrderedMerge', () => {
  const out = (numbers: number[]) => {
    const texts = numbers.map((n) => `${n}é\n`);
    const ends = texts.map((_, i) => Buffer.byteLength(texts.slice(0, i + 1).join('')));
    return {
      numbers: Int32Array.from(numbers),
      bytes: new Uint8Array(Buffer.from(texts.join(''))),
      ends: Int32Array.from(ends),
    };
  };

  it('writes lines in input order as soon as every earlier line is in', () => {
    const merge = new OrderedMerge(2);
    merge.add(1, out([2, 3, 6]));
    expect(merge.take().toString()).toBe('');
    merge.add(0, out([1, 4]));
    expect(merge.take().toString()).toBe('1é\n2é\n3é\n4é\n');
    expect(merge.held).toBe(1);
    merge.add(0, out([5, 7]));
    expect(merge.take().toString()).toBe('5é\n6é\n7é\n');
    expect(merge.next).toBe(8);
    expect(merge.held).toBe(0);
  });
});
