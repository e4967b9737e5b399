// Isolation Forest: anomalog vs scikit-learn vs ml-isolation-forest on one matrix (100k x 20, 2% planted outliers),
// plus anomalog's scoring speed on 100k x 17 (the web feature width). Usage: npx tsx bench/iforest.bench.ts
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { IsolationForest as ReferenceForest } from 'ml-isolation-forest';
import { IsolationForest } from '../backend/src/detectors/isolation-forest.js';
import { gaussianMatrix, rowOf, spearman } from '../backend/testkit/matrices.js';
import type { Matrix } from '../backend/src/types.js';

const ROWS = 100_000;
const COLS = 20;
const WEB_COLS = 17;
const REFERENCE_ROWS = 10_000;
const CACHE = 'bench/.cache';

const X = gaussianMatrix(ROWS, COLS, 1);
for (let i = 0; i < ROWS; i += 50) for (let f = 0; f < 3; f++) X.data[i * COLS + ((i + f) % COLS)] += 6;

/** Runs fn; returns its result, wall seconds and CPU seconds (the machine may be shared: CPU is the fair figure). */
const timed = <T>(fn: () => T): [T, number, number] => {
  const t = performance.now();
  const c = process.cpuUsage();
  const out = fn();
  const used = process.cpuUsage(c);
  return [out, (performance.now() - t) / 1000, (used.user + used.system) / 1e6];
};
const round = (x: number, digits = 4) => Number(x.toFixed(digits));
const perRow = (seconds: number) => round((seconds / ROWS) * 1e6, 3);

const [forest, fitS, fitCpu] = timed(() => IsolationForest.fit(X, { seed: 1 }));
const [ours, scoreS, scoreCpu] = timed(() => forest.scoreMatrix(X));
process.stderr.write(`anomalog: fit ${fitS.toFixed(3)} s, score ${scoreS.toFixed(3)} s\n`);
const rows: Record<string, string | number>[] = [
  {
    name: `anomalog IsolationForest (${ROWS / 1000}k x ${COLS})`,
    fit_s: round(fitS),
    score_s: round(scoreS),
    fit_cpu_s: round(fitCpu),
    score_cpu_s: round(scoreCpu),
    score_cpu_us_per_row: perRow(scoreCpu),
    spearman_vs_anomalog: 1,
  },
  webWidthRow(),
];
rows.push(sklearnRow(X, ours));
rows.push(referenceRow(X, ours));
console.log(JSON.stringify({ section: 'Isolation Forest: fit/score time and rank agreement', rows }));

/** Scoring only, at the web feature width; the second pass is the steady state (the kernel compiled, caches warm). */
function webWidthRow(): Record<string, string | number> {
  const M = gaussianMatrix(ROWS, WEB_COLS, 2);
  const web = IsolationForest.fit(M, { seed: 1 });
  const [, firstS, firstCpu] = timed(() => web.scoreMatrix(M));
  const [, scoreS, scoreCpu] = timed(() => web.scoreMatrix(M));
  process.stderr.write(`anomalog ${WEB_COLS} cols: score ${firstS.toFixed(3)} s, again ${scoreS.toFixed(3)} s\n`);
  return {
    name: `anomalog IsolationForest score only (${ROWS / 1000}k x ${WEB_COLS})`,
    score_s: round(scoreS),
    score_cpu_s: round(scoreCpu),
    score_cpu_us_per_row: perRow(scoreCpu),
    first_score_cpu_us_per_row: perRow(firstCpu),
  };
}

function sklearnRow(M: Matrix, ours: Float64Array): Record<string, string | number> {
  const name = `scikit-learn IsolationForest (${ROWS / 1000}k x ${COLS})`;
  mkdirSync(CACHE, { recursive: true });
  const input = `${CACHE}/iforest-${ROWS}x${COLS}.csv`;
  const output = `${CACHE}/iforest-sklearn-scores.txt`;
  const lines: string[] = [];
  for (let i = 0; i < M.rows; i++) lines.push(Array.from(rowOf(M, i), (v) => v.toFixed(6)).join(','));
  writeFileSync(input, `${lines.join('\n')}\n`);
  process.stderr.write('scikit-learn: running bench/peers/sklearn_iforest.py\n');
  const run = spawnSync('/usr/bin/python3', ['bench/peers/sklearn_iforest.py', input, output], { encoding: 'utf8' });
  if (run.status !== 0) return { name, note: `skipped: ${(run.stderr || String(run.error)).trim().split('\n').pop()}` };
  const [fit, score, fitCpu, scoreCpu] = run.stdout.trim().split(/\s+/).map(Number);
  const theirs = readFileSync(output, 'utf8').trim().split('\n').map(Number);
  return {
    name,
    fit_s: fit,
    score_s: score,
    fit_cpu_s: fitCpu,
    score_cpu_s: scoreCpu,
    spearman_vs_anomalog: round(spearman(ours, theirs)),
  };
}

/** ml-isolation-forest is slow (no subsampling: every tree grows on all rows), so it gets the first 10k rows. */
function referenceRow(M: Matrix, ours: Float64Array): Record<string, string | number> {
  const subset = Array.from({ length: REFERENCE_ROWS }, (_, i) => Array.from(rowOf(M, i)));
  const reference = new ReferenceForest({ nEstimators: 100 });
  const [, fit, fitCpu] = timed(() => reference.train(subset));
  const [theirs, score, scoreCpu] = timed(() => reference.predict(subset));
  process.stderr.write(`ml-isolation-forest: fit ${fit.toFixed(3)} s, score ${score.toFixed(3)} s\n`);
  return {
    name: `ml-isolation-forest (${REFERENCE_ROWS / 1000}k x ${COLS} subsample)`,
    fit_s: round(fit),
    score_s: round(score),
    fit_cpu_s: round(fitCpu),
    score_cpu_s: round(scoreCpu),
    spearman_vs_anomalog: round(spearman(ours.subarray(0, REFERENCE_ROWS), theirs)),
  };
}
