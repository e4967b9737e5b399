/**
 * A port sweep in a network sensor's log: a Zeek conn.log of 2,000 minutes of workstations' connections and a
 * resolver that asks 60 servers every minute (241,007 lines), and in minute 700 one host's 1,000 connections to 1,000
 * ports of a server within 10 s (backend/test/fixtures: zeekConnLog). Self-trained scan (`anomalog scan FILE --json`): the
 * sweep is in the training lines. Reported: the sweep's lines flagged (a line counts from the sweep's 26th
 * destination, detectors/fanout.ts), and the share of the other lines flagged; the peer self-trained on the same file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zeekConnLog } from '../backend/test/fixtures/logs.js';
import { BIN, CACHE, output, peerRow } from './cli-run.js';

const SCANNER = '\t10.0.3.99\t';
const lines = zeekConnLog(2000, { scan: { minute: 700, ports: 1000 }, resolver: true });
mkdirSync(CACHE, { recursive: true });
const file = join(CACHE, 'zeek-conn-sweep.log');
writeFileSync(file, `${lines.join('\n')}\n`);
const sweep = new Set(lines.flatMap((l, i) => (l.includes(SCANNER) ? [i + 1] : [])));
const header = new Set(lines.flatMap((l, i) => (l.startsWith('#') ? [i + 1] : [])));
const others = lines.length - sweep.size - header.size;

function quality(stdout: string): Record<string, number> {
  let sweepFlagged = 0;
  let othersFlagged = 0;
  for (const l of stdout.split('\n')) {
    if (!l) continue;
    const o = JSON.parse(l) as { line: number; anomaly: boolean };
    if (!o.anomaly || header.has(o.line)) continue;
    if (sweep.has(o.line)) sweepFlagged++;
    else othersFlagged++;
  }
  return {
    sweep_lines: sweep.size,
    sweep_flagged: sweepFlagged,
    others_flagged_share: Math.round((othersFlagged / others) * 100000) / 100000,
  };
}

const rows: Record<string, string | number>[] = [];
process.stderr.write('anomalog scan, self-trained\n');
rows.push({
  name: 'anomalog scan FILE --json (self-trained: the sweep in the training lines)',
  lines: lines.length,
  ...quality(output(process.execPath, [BIN, 'scan', file, '--json'])),
});
rows.push(
  peerRow('peer: tfidf_iforest_peer.py (self-trained)', file, (out) => ({ lines: lines.length, ...quality(out) })),
);
console.log(JSON.stringify({ section: "a port sweep in a network sensor's conn.log, self-trained", rows }));
