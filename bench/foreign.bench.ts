// Real system logs nobody here wrote (issue 14): the ten shared loghub 2k samples (../shared/datasets/loghub_2k).
// Per system: the format auto-detected, loghub's grouping accuracy of the templates beside Drain's published
// figure, and a self-trained scan (train on the file, score every line, as `anomalog scan FILE` without --model):
// the share of lines flagged (and of lines at medium or above, which alert rules count) and the average precision
// of the score ranking for lines of rare events (an EventId seen at most twice in the file), with the TF-IDF +
// IsolationForest peer (../shared/bench/tfidf_iforest_peer.py) beside it. Targets: every system detected as its
// format, accuracy >= Drain's, flagged <= 3% (Apache <= 1%), rare-event AP >= 0.7.
// Usage: npx tsx bench/foreign.bench.ts [SYSTEM ...] [--no-peer] [--dir DIR] [--slice N]
// --slice N scans each file as 2,000 / N files of N lines instead, each self-trained (users' files are often small:
// a few hundred lines), and reports the lines flagged over all slices and the mean rare-event AP of the slices with
// rare lines (an event at most twice in its slice).
// --dir reads DIR/SYSTEM/SYSTEM_2k.log* instead: loghub's other systems (Android, BGL, HDFS, HPC, OpenSSH,
// Thunderbird from github.com/logpai/loghub), events from their templates file when no structured file is there.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScorer, train } from '../backend/src/pipeline/index.js';
import { groupingAccuracy } from '../tools/accuracy.js';
import { averagePrecision, DRAIN_GA, loadLoghub, rareLines, SYSTEMS } from './loghub.js';

const PEER = '../shared/bench/tfidf_iforest_peer.py';
const args = process.argv.slice(2);
const dirAt = args.indexOf('--dir');
const dir = dirAt >= 0 ? args.splice(dirAt, 2)[1] : undefined;
const sliceAt = args.indexOf('--slice');
const slice = sliceAt >= 0 ? Number(args.splice(sliceAt, 2)[1]) : undefined;
if (slice !== undefined && !(slice >= 10)) throw new Error('--slice takes a number of lines, at least 10');
const only = args.filter((a) => !a.startsWith('--'));
const withPeer =
  !args.includes('--no-peer') &&
  existsSync('/usr/bin/python3') &&
  spawnSync('/usr/bin/python3', ['-c', 'import sklearn']).status === 0;
const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : 'n/a');
const rows: Record<string, string | number>[] = [];
let gaSum = 0;
let drainSum = 0;
interface Scan {
  format: string;
  ga: number;
  flagged: number;
  alerts: number;
  ap: number;
  rare: number;
  peer?: { flagged: number; ap: number };
}

for (const name of only.length ? only : SYSTEMS) {
  const s = loadLoghub(name, dir);
  const n = slice ?? s.lines.length;
  const scans: Scan[] = [];
  for (let at = 0; at < s.lines.length; at += n)
    scans.push(await scan(name, s.lines.slice(at, at + n), s.events.slice(at, at + n)));
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const ranked = scans.filter((x) => x.rare > 0);
  const ga = mean(scans.map((x) => x.ga));
  gaSum += ga;
  drainSum += DRAIN_GA[name] ?? NaN;
  const peers = scans.flatMap((x) => (x.peer ? [x.peer] : []));
  rows.push({
    name,
    format: [...new Set(scans.map((x) => x.format))].join(' '),
    GA: round(ga),
    GA_drain: DRAIN_GA[name] ?? 'n/a',
    flagged: round(mean(scans.map((x) => x.flagged))),
    medium_up: round(mean(scans.map((x) => x.alerts))),
    rare_AP: round(mean(ranked.map((x) => x.ap))),
    rare_lines: scans.reduce((a, x) => a + x.rare, 0),
    ...(peers.length
      ? {
          peer_flagged: round(mean(peers.map((p) => p.flagged))),
          peer_rare_AP: round(mean(ranked.flatMap((x) => (x.peer ? [x.peer.ap] : [])))),
        }
      : {}),
  });
  process.stderr.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
}

/** One self-trained scan of `lines`: template accuracy, the share flagged (and at medium or above), rare-event AP. */
async function scan(name: string, lines: string[], events: string[]): Promise<Scan> {
  const model = await train(lines, { seed: 1, name });
  const scorer = createScorer(model);
  const scored = [...scorer.pushBatch(lines), ...scorer.end()];
  // The templates the scan gives its lines: learnt, sealed (TemplateIndex.seal) and looked up as a model scores.
  const ga = groupingAccuracy(
    scored.map((l) => l.template),
    events,
  );
  const rare = rareLines(events);
  return {
    format: model.format,
    ga,
    flagged: scored.filter((l) => l.anomaly).length / lines.length,
    // The alarm load: lines an alert rule on severity >= medium would count.
    alerts: scored.filter((l) => l.anomaly && l.severity !== 'low').length / lines.length,
    ap: averagePrecision(
      scored.map((l) => l.score),
      rare,
    ),
    rare: rare.filter(Boolean).length,
    peer: withPeer ? runPeer(lines, rare) : undefined,
  };
}
rows.push({ name: 'average', GA: round(gaSum / rows.length), GA_drain: round(drainSum / rows.length) });
console.log(
  JSON.stringify({
    section: `Real system logs (loghub 2k${slice ? `, in files of ${slice} lines` : ''}): format, template accuracy vs Drain, self-trained alarm load and rare-event AP`,
    rows,
  }),
);

function runPeer(lines: string[], rare: boolean[]): { flagged: number; ap: number } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'foreign-'));
  const file = join(dir, 'in.log');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const run = spawnSync('/usr/bin/python3', [PEER, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  rmSync(dir, { recursive: true, force: true });
  if (run.status !== 0) return undefined;
  const score = new Array<number>(lines.length).fill(0);
  let flagged = 0;
  for (const l of run.stdout.split('\n')) {
    if (!l.startsWith('{')) continue;
    const o = JSON.parse(l) as { line: number; anomaly: boolean; score: number };
    score[o.line - 1] = o.score;
    if (o.anomaly) flagged++;
  }
  return { flagged: flagged / lines.length, ap: averagePrecision(score, rare) };
}
