/**
 * A port sweep in logs of connections (backend/test/fixtures): a Zeek conn.log of
 * 2,000 minutes of workstations' connections and a resolver that asks 60 servers every minute (241,007 lines), in
 * minute 700 one host's 1,000 connections to 1,000 ports of a server within 10 s (zeekConnLog); and the same firewall's
 * log of 2,000 minutes of 60 allowed flows, in minute 700 an outside host's 1,000 blocked probes of one host's ports
 * within 10 s (flowLog), written as an AWS VPC flow log with S3's header line, Windows Firewall's pfirewall.log and a
 * FortiGate's traffic log. Self-trained scan (`anomalog scan FILE --json`): the sweep is in the training lines. Reported: the sweep's lines flagged (a line counts from the sweep's 26th destination,
 * detectors/fanout.ts), and the share of the other lines flagged; the peer self-trained on the same file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowLog, zeekConnLog } from '../backend/test/fixtures/logs.js';
import { BIN, CACHE, output, peerRow } from './cli-run.js';

const LOGS = [
  {
    name: 'Zeek conn.log',
    file: 'zeek-conn-sweep.log',
    lines: zeekConnLog(2000, { scan: { minute: 700, ports: 1000 }, resolver: true }),
    scanner: '\t10.0.3.99\t',
    header: (l: string) => l.startsWith('#'),
  },
  ...(
    [
      ['AWS VPC flow log', 'vpc', (l: string) => l.startsWith('version ')],
      ["Windows Firewall's pfirewall.log", 'pfirewall', (l: string) => l.startsWith('#') || l === ''],
      ["FortiGate's traffic log", 'fortigate', () => false],
    ] as const
  ).map(([name, layout, header]) => ({
    name,
    file: `${layout}-sweep.log`,
    lines: flowLog(2000, { scan: { minute: 700, ports: 1000 }, layout }),
    scanner: '198.51.100.7 ',
    header,
  })),
];

mkdirSync(CACHE, { recursive: true });
const rows: Record<string, string | number>[] = [];
for (const log of LOGS) {
  const file = join(CACHE, log.file);
  writeFileSync(file, `${log.lines.join('\n')}\n`);
  const sweep = new Set(log.lines.flatMap((l, i) => (l.includes(log.scanner) ? [i + 1] : [])));
  const header = new Set(log.lines.flatMap((l, i) => (log.header(l) ? [i + 1] : [])));
  const others = log.lines.length - sweep.size - header.size;
  const quality = (stdout: string): Record<string, number> => {
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
      lines: log.lines.length,
      sweep_lines: sweep.size,
      sweep_flagged: sweepFlagged,
      others_flagged_share: Math.round((othersFlagged / others) * 100000) / 100000,
    };
  };
  process.stderr.write(`${log.name}: anomalog scan, self-trained\n`);
  rows.push({
    name: `${log.name}: anomalog scan FILE --json (self-trained: the sweep in the training lines)`,
    ...quality(output(process.execPath, [BIN, 'scan', file, '--json'])),
  });
  rows.push(peerRow(`${log.name}: peer tfidf_iforest_peer.py (self-trained)`, file, quality));
}
console.log(JSON.stringify({ section: "a port sweep in a network sensor's log, self-trained", rows }));
