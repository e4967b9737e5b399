import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { saveModel, type Model } from '../backend/src/models/index.js';
import { CALIBRATION, trainBatches, type TrainOptions } from '../backend/src/pipeline/index.js';
import { CliError, intFlag, parseArgs, ProgressBar, stringFlag, usage, withCommas } from '@anomalog/cli-kit';
import { startTraffic, startWebApp } from '@anomalog/generator';
import { openInput } from '../backend/src/cli/input.js';
import { trainProgress } from '../backend/src/cli/options.js';
import { anomalyFlags, lineQuality, prf, type Quality } from './quality.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MODELS = join(ROOT, 'models');
const DATASETS = join(ROOT, '..', 'shared', 'datasets');
const HDFS_LOG = join(DATASETS, 'hdfs_2k/HDFS_2k.log');
const HDFS_ABNORMAL = join(DATASETS, 'hdfs_block_sequences/hdfs_test_abnormal');
const HDFS_SESSION_KEY = 'blk_-?\\d+';
const GENERATOR = join(ROOT, 'generator/bin/anomalog-generate.js');
const WEB_TRAIN_LINES = 200_000;
const WEB_EVAL_LINES = 100_000;
/**
 * Application-log events the shop writes under normal traffic before the app model trains on them. The shop writes
 * one event per ~60 requests and serves ~500 requests/s on the 2-core machine: 1,000 events take about 2 minutes.
 */
const APP_TRAIN_LINES = 1_000;
const DEFAULTS = ['web', 'hdfs', 'app'] as const;

/** A maintainer tool, not a user command: `npm run train:defaults [-- --seed N]`. */
export const TRAIN_DEFAULTS_HELP = `usage: npm run train:defaults -- [--seed N] [--only web|hdfs|app]

Rebuilds models/web.json (trained on normal traffic from the generator, evaluated on labelled generated traffic),
models/hdfs.json (HDFS_2k.log, sessions by block id) and models/app.json (the demo shop's JSON application log under
normal traffic), each with a model card models/NAME.md.`;

export async function runTrainDefaults(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv, { seed: { value: true }, only: { value: true }, help: {} }, 'train-defaults');
  if (args.flags.help) {
    process.stdout.write(`${TRAIN_DEFAULTS_HELP}\n`);
    return;
  }
  const seed = intFlag(args, 'seed', 'train-defaults') ?? 1;
  const only = stringFlag(args, 'only');
  if (only !== undefined && !(DEFAULTS as readonly string[]).includes(only))
    throw usage(`--only takes ${DEFAULTS.join(', ')}, not "${only}"`, 'train-defaults');
  const wanted = (name: (typeof DEFAULTS)[number]) => only === undefined || only === name;
  const work = await mkdtemp(join(tmpdir(), 'anomalog-defaults-'));
  try {
    if (wanted('web')) await trainWeb(work, seed);
    if (wanted('hdfs')) await trainHdfs(seed);
    if (wanted('app')) await trainApp(work, seed);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Trains on normal generated traffic, then measures quality on labelled traffic from another seed. */
async function trainWeb(work: string, seed: number): Promise<void> {
  const trainArgs = ['--lines', String(WEB_TRAIN_LINES), '--seed', String(seed), '--anomaly-rate', '0'];
  const evalArgs = ['--lines', String(WEB_EVAL_LINES), '--seed', String(seed + 1)];
  const trainPath = await generateTraffic(join(work, 'train.log'), trainArgs);
  const evalPath = await generateTraffic(join(work, 'eval.log'), evalArgs);
  const source = `anomalog-generate traffic ${trainArgs.join(' ')}`;
  const model = await trainFile(trainPath, { name: 'web', seed, source });
  const labels = (await readFile(`${evalPath}.labels.jsonl`, 'utf8'))
    .trimEnd()
    .split('\n')
    .map((l) => (JSON.parse(l) as { label: string }).label);
  const quality = await lineQuality(model, (await openInput(evalPath)).batches(), labels);
  await publish(model, webCard(model, quality, source, `anomalog-generate traffic ${evalArgs.join(' ')}`));
}

async function generateTraffic(out: string, args: string[]): Promise<string> {
  await promisify(execFile)(process.execPath, [GENERATOR, 'traffic', '--out', out, ...args], { cwd: ROOT });
  return out;
}

/** The demo shop's application log (JSON lines), written by the real shop under normal generated traffic. */
async function trainApp(work: string, seed: number): Promise<void> {
  const dir = join(work, 'shop');
  const log = join(dir, 'app.log');
  const web = await startWebApp({ port: 0, host: '127.0.0.1', sinks: [{ kind: 'file', dir }], seed });
  const traffic = startTraffic({ target: web.url, rate: 2_000, anomalyRate: 0, seed });
  const bar = new ProgressBar('shop app log');
  let lines: string[] = [];
  try {
    while (lines.length < APP_TRAIN_LINES) {
      await new Promise((r) => setTimeout(r, 1_000));
      lines = existsSync(log) ? (await readFile(log, 'utf8')).split('\n').slice(0, -1) : [];
      bar.update(Math.min(lines.length, APP_TRAIN_LINES), APP_TRAIN_LINES);
    }
  } finally {
    bar.done();
    await traffic.stop();
    await web.close();
  }
  const train = join(work, 'app-train.log');
  await writeFile(train, `${lines.slice(0, APP_TRAIN_LINES).join('\n')}\n`);
  const source = `the demo shop's app log under normal traffic (anomalog-generate web + traffic --anomaly-rate 0 --seed ${seed}), first ${APP_TRAIN_LINES} events`;
  const model = await trainFile(train, { name: 'app', seed, source });
  await publish(model, appCard(model));
}

async function trainHdfs(seed: number): Promise<void> {
  const model = await trainFile(HDFS_LOG, {
    name: 'hdfs',
    seed,
    sessionKey: HDFS_SESSION_KEY,
    source: 'HDFS_2k.log (loghub)',
  });
  const quality = await hdfsBlockQuality(model);
  await publish(model, hdfsCard(model, quality));
}

async function trainFile(path: string, opts: TrainOptions): Promise<Model> {
  const input = await openInput(path);
  const bar = new ProgressBar(`training ${opts.name}`);
  try {
    return await trainBatches(input.batches(), { ...opts, onProgress: trainProgress(bar) });
  } finally {
    bar.done();
    await input.close();
  }
}

interface BlockQuality {
  blocks: number;
  anomalous: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Block-level: a block is flagged when any of its lines is; loghub's label list marks the anomalous blocks. */
async function hdfsBlockQuality(model: Model): Promise<BlockQuality> {
  const abnormal = new Set((await readFile(HDFS_ABNORMAL, 'utf8')).split('\n').map((l) => l.slice(0, l.indexOf(','))));
  const lines = (await readFile(HDFS_LOG, 'utf8')).split('\n').filter((l) => l !== '');
  const flags = await anomalyFlags(
    model,
    (async function* () {
      yield lines;
    })(),
  );
  const key = new RegExp(HDFS_SESSION_KEY);
  const flaggedBlocks = new Map<string, boolean>();
  lines.forEach((l, i) => {
    const block = key.exec(l)?.[0];
    if (block) flaggedBlocks.set(block, (flaggedBlocks.get(block) ?? false) || flags[i]);
  });
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [block, flagged] of flaggedBlocks) {
    const truth = abnormal.has(block);
    if (flagged && truth) tp++;
    else if (flagged) fp++;
    else if (truth) fn++;
  }
  return { blocks: flaggedBlocks.size, anomalous: tp + fn, ...prf(tp, fp, fn) };
}

async function publish(model: Model, card: string): Promise<void> {
  await saveModel(join(MODELS, `${model.name}.json`), model);
  await writeFile(join(MODELS, `${model.name}.md`), card);
  process.stderr.write(`anomalog: wrote models/${model.name}.json and models/${model.name}.md\n`);
}

function header(model: Model, what: string): string[] {
  const t = model.thresholds[model.detector];
  return [
    `# Model card: ${model.name}`,
    '',
    what,
    '',
    '| field | value |',
    '| --- | --- |',
    `| detector | ${model.detector} (members: ${Object.keys(model.members).join(', ')}; novelty and rule signals) |`,
    `| format | ${model.format} |`,
    `| trained on | ${model.trainedOn.source}: ${withCommas(model.trainedOn.lines)} lines, sha256 ${model.trainedOn.sha256.slice(0, 16)}… |`,
    `| seed | ${model.params.seed} |`,
    `| rows fitted | ${withCommas(model.params.trainedRows)} (the sample: at most the first ${withCommas(model.params.sampleLines)} lines) |`,
    `| features | ${model.featureSchema.names.join(', ')} |`,
    `| thresholds (${model.detector}) | low ${t.low}, medium ${t.medium}, high ${t.high}, critical ${t.critical} |`,
    `| calibration | per member, at most ${CALIBRATION.lowRate * 100}% of training rows reach \`low\`, ${CALIBRATION.mediumRate * 100}% \`medium\` |`,
    '',
  ];
}

function webCard(model: Model, q: Quality, source: string, evaluation: string): string {
  const rows = Object.entries(q.byLabel)
    .sort()
    .map(
      ([label, e]) =>
        `| ${label} | ${withCommas(e.lines)} | ${withCommas(e.flagged)} | ${(e.flagged / e.lines).toFixed(3)} |`,
    );
  return [
    ...header(
      model,
      `Web access logs (Apache/Nginx, with or without a response time). Trained on normal traffic: \`${source}\`.`,
    ),
    `## Quality on labelled traffic (\`${evaluation}\`), anomaly = severity low or above`,
    '',
    `precision ${q.precision}, recall ${q.recall}, F1 ${q.f1} over ${withCommas(q.lines)} lines.`,
    '',
    '| label | lines | flagged | share flagged |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    'Rebuild: `npm run train:defaults`.',
    '',
  ].join('\n');
}

function appCard(model: Model): string {
  return [
    ...header(
      model,
      "The demo shop's application log (`data/logs/app.log`, JSON lines: time, level, logger, msg and fields), the " +
        '`{job="app"}` stream of `npm start`.',
    ),
    'The shop writes a few event kinds under normal traffic (logins, orders, slow queries, the odd failed login or',
    'database reset); an event of a kind never seen, or at an unusual level, stands out.',
    '',
    'Rebuild: `npm run train:defaults -- --only app`.',
    '',
  ].join('\n');
}

function hdfsCard(model: Model, q: BlockQuality): string {
  return [
    ...header(
      model,
      'HDFS DataNode/NameNode logs, line features plus sessions by block id (`--session-key blk_-?\\d+`).',
    ),
    `Sessions: ${withCommas(model.sessions?.sessions ?? 0)} blocks.`,
    '',
    '## Quality on the training file, per block (loghub labels)',
    '',
    `${withCommas(q.blocks)} blocks, ${q.anomalous} anomalous: precision ${q.precision}, recall ${q.recall}, F1 ${q.f1}.`,
    'HDFS_2k.log is a sample of lines from the full log, so most blocks appear with one or two lines only.',
    '',
    'Rebuild: `npm run train:defaults`.',
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runTrainDefaults(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`train-defaults: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = e instanceof CliError ? e.exitCode : 1;
  });
}
