import { DETECTOR_KINDS } from '@anomalog/contract';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { loadModel, type Model } from '../models/index.js';
import { trainBatches } from '../pipeline/index.js';
import type { DetectorKind } from '../types.js';
import { intFlag, parseArgs, ProgressBar, stringFlag, usage, withCommas, type ParsedArgs } from '@anomalog/cli-kit';
import { openInput, type LogInput } from './input.js';
import { MAX_LINE_CHARS } from '../parsing/lines.js';
import { FORMAT_FLAGS, FORMATS, formatFlags, trainProgress, warnUnparsed } from './options.js';
import { collectGarbage } from './memory.js';
import { renderSummary } from './output.js';
import { partitionOf, type PartOptions, type Partition } from './scan-part.js';
import { ScanThreads } from './scan-threads.js';
import { cachedModel, keepModel, modelCache, trainingKey } from './model-cache.js';

/** Lines `scan` learns from by default when it trains on its input. */
export const TRAIN_LINES = 100_000;
const MAX_THREADS = 4;
/** Smaller inputs are scored on the main thread: starting workers costs more than it saves. */
const THREADED_MB = 32;

export const SCAN_HELP = `usage: anomalog scan FILE|- [--model PATH] [--detector iforest|autoencoder|ensemble]
                     [--format ${FORMATS.join('|')}] [--pattern REGEX] [--session-key REGEX] [--seed N]
                     [--train-lines N|all] [--threads N] [--no-cache] [--json]

Scores every line of FILE ("-" reads stdin; gzip is detected). Without --model, trains on FILE itself first, and
keeps the model for the next scan of the same lines (ANOMALOG_CACHE_DIR, default ~/.cache/anomalog/models).
  --json          one JSON object per input line, in input order:
                  {"line","score","severity","anomaly","reasons","template"}, and "burst" (its id) on the
                  lines of a template running at 10x its usual rate or more
  --pattern       a regex with named groups (ts, level, message, any other field) for a format of your own;
                  implies --format custom, e.g. '^(?<ts>\\S+) (?<level>[A-Z]+) (?<message>.*)$'
  --session-key   regex whose first match in a line groups it into a session (e.g. 'blk_-?\\d+')
  --train-lines   without --model, learn from the first N lines (default ${withCommas(TRAIN_LINES)}) or from all of them
  --threads       threads that score (default: one per core, up to ${MAX_THREADS}, for inputs over ${THREADED_MB} MB; 1 = this thread)
  --no-cache      learn from FILE even when a model learnt from the same lines is kept, and keep none`;

export async function runScan(argv: readonly string[]): Promise<void> {
  const args = parseArgs(
    argv,
    {
      model: { value: true },
      detector: { value: true, choices: DETECTOR_KINDS },
      ...FORMAT_FLAGS,
      'session-key': { value: true },
      seed: { value: true },
      'train-lines': { value: true },
      threads: { value: true },
      'no-cache': {},
      json: {},
      help: {},
    },
    'scan',
  );
  if (args.flags.help) {
    process.stdout.write(`${SCAN_HELP}\n`);
    return;
  }
  if (args.positionals.length !== 1) throw usage('scan takes exactly one FILE (or - for stdin)', 'scan');
  const detector = stringFlag(args, 'detector') as DetectorKind | undefined;
  const modelPath = stringFlag(args, 'model');
  const seed = intFlag(args, 'seed', 'scan');
  const trainLines = trainLinesFlag(args);
  const requestedThreads = intFlag(args, 'threads', 'scan');
  if (requestedThreads !== undefined && requestedThreads < 1) throw usage('--threads must be at least 1', 'scan');
  const input = await openInput(args.positionals[0]);
  const threads =
    requestedThreads ?? (input.bytes >= THREADED_MB * 2 ** 20 ? Math.min(availableParallelism(), MAX_THREADS) : 1);
  let pool = new ScanThreads(threads);
  try {
    const learning = { detector, ...formatFlags(args, 'scan'), sessionKey: stringFlag(args, 'session-key'), seed };
    const cache = modelPath || args.flags['no-cache'] ? undefined : modelCache();
    const bar = new ProgressBar('training');
    const key =
      cache &&
      (await trainingKey(cache, input, trainLines, { ...learning, trainLines }, (bytes) =>
        bar.update(bytes, input.bytes, 'looking for a model kept from an earlier scan'),
      ));
    const kept = cache && key ? await cachedModel(cache, key) : undefined;
    let keeping: Promise<void> | undefined;
    let model: Model;
    if (modelPath) model = await loadModel(modelPath);
    else if (kept) model = kept;
    else {
      model = await trainBatches(firstLines(input.batches(), trainLines), {
        ...learning,
        name: basename(input.name).replace(/\.[^.]*$/, '') || 'scan',
        source: input.name,
        onProgress: trainProgress(bar),
        autoencoderThread: true,
      });
      if (cache && key)
        keeping = keepModel(cache, key, model).catch((e: NodeJS.ErrnoException) => {
          process.stderr.write(`anomalog: warning: cannot keep the model in ${cache.dir}: ${e.code ?? e.message}\n`);
        });
      collectGarbage();
    }
    bar.done();
    if (!modelPath) warnUnparsed(model);
    const partition = partitionOf(model);
    if (!partition && pool.count > 1) {
      pool.close();
      pool = new ScanThreads(1);
    }
    const options = { detector, json: args.flags.json === true, labels: { filename: input.name } };
    const { summary, truncated } = await score(input, model, partition ?? { by: 'block' }, options, pool);
    await keeping;
    if (input.records)
      process.stderr.write(
        `anomalog: ${input.name} holds ${input.records}: read one a line, the line numbers count them\n`,
      );
    if (truncated)
      process.stderr.write(
        `anomalog: ${truncated} line(s) longer than ${MAX_LINE_CHARS} characters were cut for scoring\n`,
      );
    if (!options.json) {
      const used = detector ?? model.detector;
      const learnt =
        (model.trainedOn.lines < summary.lines
          ? `trained on its first ${withCommas(model.trainedOn.lines)} lines`
          : 'trained on the file itself') + (kept ? ' (model kept from an earlier scan)' : '');
      const title = `anomalog scan ${input.name}: ${model.format} format, ${used} detector, ${modelPath ? `model ${modelPath}` : learnt}`;
      process.stdout.write(renderSummary(summary, title, process.stdout.isTTY === true));
    }
  } finally {
    pool.close();
    await input.close();
  }
}

/** Scores every line on the pool's threads; writes the --json lines as they are ready. */
async function score(input: LogInput, model: Model, partition: Partition, options: PartOptions, pool: ScanThreads) {
  const bar = new ProgressBar('scoring');
  const out = process.stdout;
  const write = async (bytes: Uint8Array) => {
    if (bytes.length && !out.write(bytes)) await once(out, 'drain');
  };
  try {
    return await pool.run(input, model, partition, options, write, (bytes) =>
      bar.update(bytes, input.bytes, `${withCommas(pool.linesRead)} lines`),
    );
  } finally {
    bar.done();
  }
}

function trainLinesFlag(args: ParsedArgs): number {
  const v = stringFlag(args, 'train-lines');
  if (v === undefined) return TRAIN_LINES;
  if (v === 'all') return Infinity;
  if (!/^\d+$/.test(v) || Number(v) < 1)
    throw usage(`--train-lines must be a positive number of lines or "all", got "${v}"`, 'scan');
  return Number(v);
}

/** The first `limit` lines of the batches (the input is then closed: scoring reads it again from the start). */
async function* firstLines(batches: AsyncGenerator<string[]>, limit: number): AsyncGenerator<string[]> {
  let left = limit;
  for await (const batch of batches) {
    yield batch.length <= left ? batch : batch.slice(0, left);
    left -= batch.length;
    if (left <= 0) return;
  }
}
