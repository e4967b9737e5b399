/**
 * CPU per line of each stage outside the detectors, as the scorer runs them batch by batch: parse, template lookup,
 * features, and the ensemble's per-line path (rule and novelty signals, combinedScore with a fixed member score);
 * then the scan's `--json` line of each (JsonLines, cli/output.ts).
 * On the first 200k lines of the 1M-line access log and on 67k HDFS lines rendered from logdeep sessions (5,000
 * normal, 3,000 anomalous), each with an iforest model trained beforehand (untimed). Parsed lines live for one batch
 * only, as in the scorer, so garbage collection costs what it costs there (it lands in whichever stage triggers it).
 * Run: npx tsx bench/line-stages.bench.ts [--lines N] [--runs R] [--batch N] [--only access|hdfs]
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { combinedScore } from '../backend/src/detectors/ensemble.js';
import { Novelty } from '../backend/src/detectors/novelty.js';
import { ruleSignals } from '../backend/src/explain/index.js';
import { LineFeaturizer } from '../backend/src/features/index.js';
import { TemplateIndex, type TemplateHit } from '../backend/src/templates/index.js';
import type { Model } from '../backend/src/models/index.js';
import { createParser } from '../backend/src/parsing/index.js';
import { train } from '../backend/src/pipeline/index.js';
import type { ParsedLine, ScoredLine } from '../backend/src/types.js';
import { severityOf } from '../backend/src/detectors/calibration.js';
import { JsonLines } from '../backend/src/cli/output.js';
import { accessLog } from './cli-run.js';
import { renderSessions } from './hdfs-lines.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const LINES = option('lines', 200_000);
const RUNS = option('runs', 3);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
/** The CLI's batch size (backend/src/cli/input.ts) by default. */
const BATCH = option('batch', 2048);
const STAGES = ['parse', 'template', 'features', 'signals', 'json'] as const;
const NO_REASONS: string[] = [];
type Stage = (typeof STAGES)[number];

/** The first n lines of a file, without reading all of it. */
function headLines(path: string, n: number): string[] {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(Math.min(n * 400, 512 << 20));
  const bytes = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  const lines = buf.toString('utf8', 0, bytes).split('\n').slice(0, n);
  return lines.length === n ? lines : lines.filter((l) => l !== '');
}

function hdfsLines(): { training: string[]; test: string[] } {
  const dir = '../shared/datasets/hdfs_logdeep_sequences';
  const sessions = readFileSync(`${dir}/hdfs_train`, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s+/).map(Number));
  const abnormal = readFileSync(`${dir}/hdfs_test_abnormal`, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s+/).map(Number));
  return {
    training: renderSessions(sessions.slice(0, 4000), 0, 1).lines,
    test: renderSessions([...sessions.slice(4000, 9000), ...abnormal.slice(0, 3000)], 1_000_000, 2).lines,
  };
}

/** CPU microseconds per line of each stage over one pass, the batches run stage by stage as the scorer does. */
function pass(model: Model, lines: readonly string[]): Record<Stage, number> {
  const parser = createParser(model.format);
  const templates = TemplateIndex.fromJSON(model.parserState.templates);
  const featurizer = new LineFeaturizer(model.featureSchema, templates, model.baselines.web);
  const novelty = Novelty.fromJSON(model.novelty!);
  const cols = model.featureSchema.names.length;
  const matrix = new Float64Array(BATCH * cols);
  const members = [{ name: 'iforest', score: 0.1 }];
  const cpu: Record<Stage, number> = { parse: 0, template: 0, features: 0, signals: 0, json: 0 };
  const json = new JsonLines();
  const labels = {};
  const detector = 'bench';
  let checksum = 0;
  const scores = new Float64Array(BATCH);
  const timed = (stage: Stage, run: () => void) => {
    const c0 = process.cpuUsage();
    run();
    const c = process.cpuUsage(c0);
    cpu[stage] += c.user + c.system;
  };
  for (let at = 0; at < lines.length; at += BATCH) {
    const batch = lines.slice(at, at + BATCH);
    const parsed: ParsedLine[] = new Array(batch.length);
    const hits: TemplateHit[] = new Array(batch.length);
    timed('parse', () => {
      for (let i = 0; i < batch.length; i++) parsed[i] = parser.parse(batch[i]);
    });
    timed('template', () => {
      for (let i = 0; i < batch.length; i++) hits[i] = templates.lookup(parsed[i]);
    });
    timed('features', () => {
      for (let i = 0; i < batch.length; i++) matrix.set(featurizer.fill(parsed[i], hits[i]), i * cols);
    });
    timed('signals', () => {
      for (let i = 0; i < batch.length; i++) {
        const row = matrix.subarray(i * cols, (i + 1) * cols);
        const rules = ruleSignals(model.featureSchema, parsed[i], row, hits[i].count, templates.total);
        const novel = novelty.check({ template: hits[i].id, row });
        const signals = rules.length === 0 ? novel : novel.length === 0 ? rules : [...rules, ...novel];
        scores[i] = combinedScore(members, signals, model.thresholds.ensemble);
        checksum += scores[i];
      }
    });
    // Shaped as the scorer makes them: every key, in its order (a line of another shape took JsonLines 7x longer).
    const scored = batch.map((line, i): ScoredLine => {
      const severity = severityOf(scores[i], model.thresholds.ensemble);
      const anomaly = severity !== 'normal';
      const reasons = anomaly ? ['a reason'] : NO_REASONS;
      const template = hits[i].template;
      const score = scores[i];
      return {
        ts: 0,
        line,
        labels,
        template,
        score,
        severity,
        anomaly,
        reasons,
        detector,
        session: undefined,
        burst: undefined,
      };
    });
    timed('json', () => {
      json.clear();
      for (let i = 0; i < scored.length; i++) json.add(at + i + 1, scored[i]);
      checksum += json.bytes().length;
    });
  }
  if (!Number.isFinite(checksum)) throw new Error('non-finite ensemble score');
  return Object.fromEntries(STAGES.map((s) => [s, cpu[s] / lines.length])) as Record<Stage, number>;
}

/** Per stage, the least CPU time of RUNS passes after one warm-up pass (the figure least disturbed by other load). */
function measure(name: string, model: Model, lines: readonly string[]): Record<string, string | number> {
  process.stderr.write(`${name}: ${lines.length} lines, ${RUNS} runs\n`);
  pass(model, lines);
  const runs = Array.from({ length: RUNS }, () => pass(model, lines));
  const row: Record<string, string | number> = { name, lines: lines.length };
  let total = 0;
  for (const s of STAGES) {
    const us = Math.min(...runs.map((r) => r[s]));
    row[`${s}_us`] = Math.round(us * 1000) / 1000;
    total += us;
  }
  row.total_us = Math.round(total * 1000) / 1000;
  return row;
}

const rows: Record<string, string | number>[] = [];

if (only !== 'hdfs') {
  const access = headLines(accessLog(1_000_000), LINES);
  process.stderr.write('access: training an iforest model on bench/.cache/access_200k.log (untimed)\n');
  const accessModel = await train(headLines(accessLog(200_000), 200_000), { detector: 'iforest', seed: 1 });
  rows.push(measure('access log (apache combined)', accessModel, access));
}
if (only !== 'access') {
  process.stderr.write('hdfs: rendering lines and training an iforest model (untimed)\n');
  const hdfs = hdfsLines();
  const hdfsModel = await train(hdfs.training, { detector: 'iforest', seed: 1, sessionKey: 'blk_-?\\d+' });
  rows.push(measure('HDFS (Drain templates)', hdfsModel, hdfs.test));
}

process.stderr.write(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
console.log(JSON.stringify({ section: 'CPU per line by stage outside the detectors (us/line)', rows }));
