// HDFS sessions, self-trained on a file that contains its own anomalies (issue 14): the shared block sequences
// (../shared/datasets/hdfs_block_sequences) rendered as raw HDFS_v1 lines, every normal block of `hdfs_train` plus
// anomalous blocks at HDFS_v1's true rate (2.93%), interleaved as concurrent blocks are; then
// `train(lines, { sessionKey })` on that very file and every line scored. A block is flagged when any of its lines
// is an anomaly (severity >= low). The clean-training figure is bench/hdfs.bench.ts.
// Usage: npx tsx bench/hdfs-dirty.bench.ts [--rate R] [--seed S] [--open N]
import { readFileSync } from 'node:fs';
import { Rng } from '../generator/src/random/rng.js';
import { createScorer, train } from '../backend/src/pipeline/index.js';
import { renderSessions } from './hdfs-lines.js';

const DIR = '../shared/datasets/hdfs_block_sequences';
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const rate = option('rate', 16838 / 575061);
const seed = option('seed', 7);
const open = option('open', 40);

const read = (file: string) =>
  readFileSync(`${DIR}/${file}`, 'utf8')
    .split('\n')
    .filter((l) => l.includes(','))
    .map((l) =>
      l
        .slice(l.indexOf(',') + 1)
        .trim()
        .split(/\s+/)
        .map(Number),
    );
const normals = read('hdfs_train');
const allAnomalies = read('hdfs_test_abnormal');
const wanted = Math.round((normals.length * rate) / (1 - rate));
const step = allAnomalies.length / wanted;
const anomalies = Array.from({ length: wanted }, (_, i) => allAnomalies[Math.floor(i * step)]);

const n = renderSessions(normals, 1_000_000, seed);
const a = renderSessions(anomalies, 5_000_000, seed + 1);
const lines = interleave([...byBlock(n.lines), ...byBlock(a.lines)], new Rng(seed + 2));
const anomalous = new Set(a.blocks);
process.stderr.write(
  `hdfs dirty: ${n.blocks.length} normal + ${a.blocks.length} anomalous blocks (${(100 * rate).toFixed(2)}%), ${lines.length} lines\n`,
);

const t0 = performance.now();
const model = await train(lines, { sessionKey: 'blk_-?\\d+', detector: 'ensemble', seed: 1, name: 'hdfs-dirty' });
const trainS = (performance.now() - t0) / 1000;
const flagged = new Set<string>();
const scorer = createScorer(model);
const why = new Map<string, string[]>();
const take = (scored: { session?: string; anomaly: boolean; line: string; reasons: string[] }[]) => {
  for (const s of scored) {
    if (!s.anomaly) continue;
    const b = s.session ?? /blk_-?\d+/.exec(s.line)?.[0] ?? '';
    flagged.add(b);
    if (!why.has(b)) why.set(b, s.reasons);
  }
};
for (let i = 0; i < lines.length; i += 10_000) take(scorer.pushBatch(lines.slice(i, i + 10_000)));
take(scorer.end());
let tp = 0;
for (const b of flagged) if (anomalous.has(b)) tp++;
const fp = flagged.size - tp;
if (process.env.SHOW_FP)
  for (const b of [...flagged].filter((x) => !anomalous.has(x)).slice(0, 15))
    process.stderr.write(`FP ${b}: ${why.get(b)?.join('; ')}\n`);
const precision = flagged.size ? tp / flagged.size : 0;
const recall = tp / anomalous.size;
const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
const round = (x: number) => Math.round(x * 1000) / 1000;
const row = {
  name: 'anomalog, self-trained on the dirty file (--session-key blk_-?\\d+)',
  blocks: n.blocks.length + a.blocks.length,
  anomalous: a.blocks.length,
  flagged: flagged.size,
  TP: tp,
  FP: fp,
  precision: round(precision),
  recall: round(recall),
  F1: round(f1),
  train_s: Math.round(trainS),
  target: 'F1 >= 0.90',
};
process.stderr.write(`${JSON.stringify(row)}\n`);
console.log(
  JSON.stringify({
    section: 'HDFS sessions, self-trained on a dirty file (2.93% anomalous blocks, interleaved raw lines)',
    rows: [row],
  }),
);

/** Lines grouped by block, in block order. */
function byBlock(rendered: string[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const l of rendered) {
    const b = /blk_-?\d+/.exec(l)![0];
    (groups.get(b) ?? groups.set(b, []).get(b)!).push(l);
  }
  return [...groups.values()];
}

/**
 * Blocks shuffled, then `open` of them written at once, a line of a random open block at a time (as a busy cluster
 * interleaves them); the timestamps are rewritten to rise a second every few lines.
 */
function interleave(blocks: string[][], rng: Rng): string[] {
  for (let i = blocks.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [blocks[i], blocks[j]] = [blocks[j], blocks[i]];
  }
  const out: string[] = [];
  const active: { lines: string[]; at: number }[] = [];
  let next = 0;
  let ts = Date.UTC(2008, 10, 9, 20, 30);
  while (next < blocks.length || active.length) {
    while (active.length < open && next < blocks.length) active.push({ lines: blocks[next++], at: 0 });
    const k = rng.int(0, active.length - 1);
    const block = active[k];
    if (rng.chance(0.3)) ts += 1000;
    out.push(stamp(block.lines[block.at++], ts));
    if (block.at >= block.lines.length) active.splice(k, 1);
  }
  return out;
}

function stamp(line: string, ms: number): string {
  const d = new Date(ms);
  const p = (x: number) => String(x).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${line.slice(13)}`;
}
