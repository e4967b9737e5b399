/**
 * The same real logs in the wrappings users hand over: each shared loghub sample written as UTF-16 (little-endian
 * with and without a byte-order mark, big-endian, gzipped), with terminal colour codes, in a container runtime's
 * envelope (Docker's json-file driver, the CRI's text on a Kubernetes node), as a pretty-printed JSON
 * document (PowerShell's `ConvertTo-Json` layout) and as a tab-separated export, each scanned self-trained by the CLI
 * (`anomalog scan FILE --json`). Reported per wrapping: the format read, the records, whether every score, severity
 * and template equals the plain file's (UTF-16, colours, envelopes), and the share flagged and rare-event AP beside the plain
 * file's (JSON, TSV: other formats, so other models). Usage: npx tsx bench/file-shapes.bench.ts [SYSTEM...]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BIN, output } from './cli-run.js';
import { averagePrecision, LOGHUB_DIR, rareLines, SYSTEMS } from './loghub.js';
import { splitCsv } from '../backend/src/parsing/csv.js';

interface Scored {
  line: number;
  score: number;
  severity: string;
  anomaly: boolean;
  template: string;
}

const dir = mkdtempSync(join(tmpdir(), 'anomalog-shapes-'));
// The summary run after each `--json` run loads the model that one kept (the format is only in the summary).
process.env.ANOMALOG_CACHE_DIR = join(dir, 'models');
const scan = (file: string): { format: string; records: Scored[] } => {
  const out = output(process.execPath, [BIN, 'scan', file, '--json']);
  const records = out
    .split('\n')
    .filter((l) => l.startsWith('{"line"'))
    .map((l) => JSON.parse(l) as Scored);
  const format = /: (\S+) format/.exec(output(process.execPath, [BIN, 'scan', file]).split('\n')[0])?.[1] ?? '?';
  return { format, records };
};
const COLOURS = ['\x1b[32m', '\x1b[33m', '\x1b[31m', '\x1b[36m'];
const colour = (line: string, i: number) =>
  line === ''
    ? line
    : `\x1b[2m${line.slice(0, 10)}\x1b[0m${line.slice(10).replace(/\b(INFO|WARN|WARNING|ERROR|FATAL|DEBUG|Info|error|notice)\b/, (w) => `${COLOURS[i % 4]}${w}\x1b[0m`)}`;

/** The container runtime's time of the i-th line: when it read it, a second apart from a day in 2026. */
const runtimeTime = (i: number) => new Date(Date.UTC(2026, 11, 7) + i * 1000).toISOString().replace('Z', '123456Z');

const rows: Record<string, string | number | boolean>[] = [];
const round = (x: number) => Math.round(x * 1000) / 1000;
const only = process.argv.slice(2);
for (const name of only.length ? only : SYSTEMS) {
  const base = `${LOGHUB_DIR}/${name}/${name}_2k.log`;
  const text = readFileSync(base, 'utf8');
  const csv = readFileSync(`${base}_structured.csv`, 'utf8');
  const [head, ...body] = csv.replace(/\r\n/g, '\n').trimEnd().split('\n');
  const columns = splitCsv(head)!;
  const cells = body.map((l) => splitCsv(l)!);
  const events = cells.map((c) => c[columns.indexOf('EventId')]);
  const rare = rareLines(events);
  const plain = scan(base);
  const le = Buffer.from(text, 'utf16le');
  const lines = text.replace(/\r\n/g, '\n').trimEnd().split('\n');
  const shapes: [string, Buffer | string][] = [
    ['utf-16le with mark', Buffer.concat([Buffer.from([0xff, 0xfe]), le])],
    ['utf-16le', le],
    ['utf-16be with mark', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()])],
    ['gzip utf-16le', gzipSync(Buffer.concat([Buffer.from([0xff, 0xfe]), le]))],
    ['colours', text.split('\n').map(colour).join('\n')],
    // As a container's log on the host: Docker's json-file driver, and the CRI's text on a Kubernetes node.
    [
      'docker json-file',
      lines.map((l, i) => JSON.stringify({ log: `${l}\n`, stream: 'stdout', time: runtimeTime(i) })).join('\n'),
    ],
    ['kubernetes CRI', lines.map((l, i) => `${runtimeTime(i)} stdout F ${l}`).join('\n')],
  ];
  // The structured columns but the ground truth's, as an export would hold them.
  const kept = columns.map((c, i) => i).filter((i) => !['LineId', 'EventId', 'EventTemplate'].includes(columns[i]));
  const records = cells.map((c) => Object.fromEntries(kept.map((i) => [columns[i], c[i]])));
  const documents: [string, string][] = [
    ['JSON document', JSON.stringify(records, null, 4).replace(/": /g, '":  ')],
    [
      'tab-separated',
      [kept.map((i) => columns[i]), ...cells.map((c) => kept.map((i) => c[i]))].map((r) => r.join('\t')).join('\n'),
    ],
  ];
  const apOf = (scored: Scored[], offset: number) => {
    const scores = new Array<number>(events.length).fill(0);
    for (const r of scored) if (r.line - 1 - offset >= 0) scores[r.line - 1 - offset] = r.score;
    return round(averagePrecision(scores, rare));
  };
  const flagged = (scored: Scored[]) => round(scored.filter((r) => r.anomaly).length / events.length);
  rows.push({
    name,
    shape: 'plain',
    format: plain.format,
    records: plain.records.length,
    flagged: flagged(plain.records),
    rare_AP: apOf(plain.records, 0),
  });
  const key = (r: Scored) => `${r.score} ${r.severity} ${r.template}`;
  for (const [shape, content] of shapes) {
    const file = join(dir, `${name}-${shape.replace(/\W+/g, '-')}.log`);
    writeFileSync(file, content);
    const s = scan(file);
    const same =
      s.records.length === plain.records.length && s.records.every((r, i) => key(r) === key(plain.records[i]));
    rows.push({ name, shape, format: s.format, records: s.records.length, same_as_plain: same });
  }
  for (const [shape, content] of documents) {
    const file = join(dir, `${name}-${shape.replace(/\W+/g, '-')}.txt`);
    writeFileSync(file, content);
    const s = scan(file);
    const offset = shape === 'tab-separated' ? 1 : 0;
    rows.push({
      name,
      shape,
      format: s.format,
      records: s.records.length - offset,
      flagged: flagged(s.records),
      rare_AP: apOf(s.records, offset),
    });
  }
  for (const r of rows.slice(-10)) console.log(JSON.stringify(r));
}
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    section:
      'loghub samples in the wrappings users hand over (UTF-16, colours, container envelopes, JSON documents, TSV)',
    rows,
  }),
);
