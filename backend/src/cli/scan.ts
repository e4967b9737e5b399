import { once } from 'node:events';
import { basename } from 'node:path';
import { loadModel, type Model } from '../models/index.js';
import { createScorer, trainBatches } from '../pipeline/index.js';
import type { DetectorKind, ScoredLine } from '../types.js';
import { intFlag, parseArgs, stringFlag, usage } from './args.js';
import { openInput, MAX_LINE_CHARS, type LogInput } from './input.js';
import { JsonLines, Summary } from './output.js';
import { ProgressBar } from './progress.js';
import { DETECTORS, FORMAT_FLAGS, FORMATS, formatFlags, trainProgress } from './options.js';

export const SCAN_HELP = `usage: anomalog scan FILE|- [--model PATH] [--detector iforest|autoencoder|ensemble]
                     [--format ${FORMATS.join('|')}] [--pattern REGEX] [--session-key REGEX] [--seed N] [--json]

Scores every line of FILE ("-" reads stdin; gzip is detected). Without --model, trains on FILE itself first.
  --json          one JSON object per input line, in input order:
                  {"line","score","severity","anomaly","reasons","template"}
  --pattern       a regex with named groups (ts, level, message, any other field) for a format of your own;
                  implies --format custom, e.g. '^(?<ts>\\S+) (?<level>[A-Z]+) (?<message>.*)$'
  --session-key   regex whose first match in a line groups it into a session (e.g. 'blk_-?\\d+')`;

export async function runScan(argv: readonly string[]): Promise<void> {
  const args = parseArgs(
    argv,
    {
      model: { value: true },
      detector: { value: true, choices: DETECTORS },
      ...FORMAT_FLAGS,
      'session-key': { value: true },
      seed: { value: true },
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
  const input = await openInput(args.positionals[0]);
  try {
    const bar = new ProgressBar('training');
    const model = modelPath
      ? await loadModel(modelPath)
      : await trainBatches(input.batches(), {
          detector,
          ...formatFlags(args, 'scan'),
          sessionKey: stringFlag(args, 'session-key'),
          seed,
          name: basename(input.name).replace(/\.[^.]*$/, '') || 'scan',
          source: input.name,
          onProgress: trainProgress(bar),
        });
    bar.done();
    await score(input, model, detector, args.flags.json === true, modelPath);
  } finally {
    await input.close();
  }
}

async function score(input: LogInput, model: Model, detector: DetectorKind | undefined, asJson: boolean, modelPath?: string): Promise<void> {
  const scorer = createScorer(model, { detector, labels: { filename: input.name } });
  const summary = new Summary();
  const bar = new ProgressBar('scoring');
  const out = process.stdout;
  const json = new JsonLines();
  let lineNo = 0;
  const emit = async (lines: ScoredLine[]) => {
    if (asJson) {
      let text = '';
      for (const s of lines) text += `${json.format(++lineNo, s)}\n`;
      if (text && !out.write(text)) await once(out, 'drain');
    } else {
      for (const s of lines) summary.add(++lineNo, s);
    }
  };
  for await (const batch of input.batches((bytes) => bar.update(bytes, input.bytes, `${lineNo.toLocaleString('en-US')} lines`))) {
    await emit(scorer.pushBatch(batch));
  }
  await emit(scorer.end());
  bar.done();
  if (input.truncated) {
    process.stderr.write(`anomalog: ${input.truncated} line(s) longer than ${MAX_LINE_CHARS} characters were cut for scoring\n`);
  }
  if (!asJson) {
    const used = detector ?? model.detector;
    const origin = modelPath ? `model ${modelPath}` : 'trained on the file itself';
    out.write(summary.render(`anomalog scan ${input.name}: ${model.format} format, ${used} detector, ${origin}`, out.isTTY === true));
  }
}
