// HDFS session benchmark, protocol of ../shared/bench/hdfs_sklearn_peer.py: train on normal sessions only, test on
// held-out normals plus every anomalous block; F1 on the test mix and at HDFS_v1's true anomaly rate.
// Two paths: the session detectors on the event sequences (SessionVectorizer, detectors, calibration, ensemble), and
// the whole pipeline (train() and createScorer()) on the same sessions rendered as raw HDFS lines.
// Usage: npx tsx bench/hdfs.bench.ts [--sample N] [--seed S] [--epochs E] [--no-peer] [--no-pipeline]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { detectionQuality, fitSessionDetectors, scoreSessions } from '../tools/evaluation.js';
import { createScorer, train as trainModel } from '../backend/src/pipeline/index.js';
import type { DetectorKind, Severity } from '../backend/src/types.js';
import { renderSessions } from './hdfs-lines.js';

const DIR = '../shared/datasets/hdfs_logdeep_sequences';
const PEER = '../shared/bench/hdfs_sklearn_peer.py';
const BASE_RATE = 16838 / 575061;

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const sample = option('sample', Infinity);
const seed = option('seed', 42);
const epochs = option('epochs', 60);

const sequences = (file: string) =>
  readFileSync(`${DIR}/${file}`, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s+/).map(Number));
const labelledNormals = (file: string) =>
  readFileSync(`${DIR}/${file}`, 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim().endsWith(',0'))
    .map((l) => l.slice(0, l.lastIndexOf(',')).trim().split(/\s+/).map(Number));
const head = <T>(a: T[]) => (Number.isFinite(sample) ? a.slice(0, sample) : a);

const train = head(sequences('hdfs_train'));
const normals = head([...labelledNormals('robust_log_train.csv'), ...labelledNormals('robust_log_valid.csv')]);
const anomalies = head(sequences('hdfs_test_abnormal'));
process.stderr.write(
  `hdfs: ${train.length} training sessions, test ${normals.length} normal + ${anomalies.length} anomalous\n`,
);

let t = performance.now();
const detectors = await fitSessionDetectors(train, {
  seed,
  epochs,
  onProgress: (p) =>
    process.stderr.write(
      `\rautoencoder ${p.phase} epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)} val ${p.valLoss.toFixed(4)}   `,
    ),
});
const fitSeconds = (performance.now() - t) / 1000;
t = performance.now();
const n = scoreSessions(detectors, normals);
const a = scoreSessions(detectors, anomalies);
const scoreSeconds = (performance.now() - t) / 1000;
process.stderr.write(`\nfit ${fitSeconds.toFixed(1)} s, score ${scoreSeconds.toFixed(1)} s\n`);

const round = (x: number) => Math.round(x * 10000) / 10000;
const rows: Record<string, string | number>[] = [];
const names = {
  iforest: 'anomalog iforest',
  autoencoder: 'anomalog autoencoder',
  novelty: 'anomalog novelty alone',
  ensemble: 'anomalog ensemble',
};
for (const [kind, name] of Object.entries(names) as [keyof typeof names, string][]) {
  const q = detectionQuality(n[kind], a[kind], BASE_RATE);
  rows.push({
    name,
    TPR: round(q.tpr),
    FPR: round(q.fpr),
    F1: round(q.f1),
    P_base: round(q.precisionAtBase),
    F1_base: round(q.f1AtBase),
    threshold: kind === 'novelty' ? 'any novelty signal' : 'anomaly flag: severity >= low (pipeline calibration)',
  });
}
if (!args.includes('--no-pipeline')) rows.push(...(await pipelineRows()));
rows.push(...peerRows());
process.stderr.write(
  rows.map((r) => `${r.name}: TPR ${r.TPR} FPR ${r.FPR} F1 ${r.F1} F1@base ${r.F1_base}`).join('\n') + '\n',
);
console.log(JSON.stringify({ section: 'HDFS sessions (logdeep split, F1 at true base rate 2.93%)', rows }));

/** The pipeline end to end: train on the rendered training sessions, score the rendered test sessions line by line. */
async function pipelineRows(): Promise<Record<string, string | number>[]> {
  process.stderr.write('pipeline: rendering lines and training\n');
  const start = performance.now();
  const model = await trainModel(renderSessions(train, 1_000_000, 1).lines, {
    sessionKey: 'blk_-?\\d+',
    detector: 'ensemble',
    seed,
    name: 'hdfs-bench',
  });
  const trainSeconds = (performance.now() - start) / 1000;
  const normal = renderSessions(normals, 10_000_000, 2);
  const anomalous = renderSessions(anomalies, 20_000_000, 3);
  const out: Record<string, string | number>[] = [];
  for (const detector of ['ensemble', 'autoencoder'] as DetectorKind[]) {
    process.stderr.write(`pipeline: scoring with ${detector}\n`);
    const q = detectionQuality(
      blockVerdicts(model, detector, normal),
      blockVerdicts(model, detector, anomalous),
      BASE_RATE,
    );
    out.push({
      name: `pipeline end to end: ${detector} (rendered lines)`,
      TPR: round(q.tpr),
      FPR: round(q.fpr),
      F1: round(q.f1),
      P_base: round(q.precisionAtBase),
      F1_base: round(q.f1AtBase),
      threshold: 'a session is flagged when any of its lines is an anomaly (severity >= low)',
      train_s: Math.round(trainSeconds),
    });
  }
  return out;
}

/** The worst severity among each block's scored lines, in block order. */
function blockVerdicts(
  model: Awaited<ReturnType<typeof trainModel>>,
  detector: DetectorKind,
  set: ReturnType<typeof renderSessions>,
): Severity[] {
  const rank: Record<Severity, number> = { normal: 0, low: 1, medium: 2, high: 3, critical: 4 };
  const worst = new Map<string, Severity>();
  const take = (scored: { session?: string; severity: Severity }[]) => {
    for (const l of scored) {
      const key = l.session ?? '';
      const now = worst.get(key) ?? 'normal';
      if (rank[l.severity] > rank[now]) worst.set(key, l.severity);
    }
  };
  const scorer = createScorer(model, { detector });
  for (let i = 0; i < set.lines.length; i += 10_000) take(scorer.pushBatch(set.lines.slice(i, i + 10_000)));
  take(scorer.end());
  return set.blocks.map((b) => worst.get(b) ?? 'normal');
}

/** The scikit-learn peer's four baselines, run now on the same protocol. */
function peerRows(): Record<string, string | number>[] {
  if (args.includes('--no-peer') || Number.isFinite(sample)) return [];
  const check = spawnSync('/usr/bin/python3', ['-c', 'import sklearn'], { encoding: 'utf8' });
  if (!existsSync('/usr/bin/python3') || check.status !== 0) {
    return [
      { name: 'sklearn peer', note: 'skipped: /usr/bin/python3 has no scikit-learn (apt-get install python3-sklearn)' },
    ];
  }
  const run = spawnSync('/usr/bin/python3', [PEER], { encoding: 'utf8' });
  if (run.status !== 0) return [{ name: 'sklearn peer', note: `failed: ${run.stderr.trim().split('\n').pop()}` }];
  const rows = [];
  for (const line of run.stdout.split('\n')) {
    const m = /^(.*): TPR=([\d.]+) FPR=([\d.]+) F1\(test mix\)=([\d.]+) P@base=([\d.]+) F1@base=([\d.]+)/.exec(line);
    if (m)
      rows.push({
        name: `peer: ${m[1]}`,
        TPR: +m[2],
        FPR: +m[3],
        F1: +m[4],
        P_base: +m[5],
        F1_base: +m[6],
        threshold: 'peer',
      });
  }
  return rows;
}
