import { DETECTOR_KINDS } from '@anomalog/contract';
import { basename } from 'node:path';
import { saveModel } from '../models/index.js';
import { trainBatches } from '../pipeline/index.js';
import type { DetectorKind } from '../types.js';
import { intFlag, parseArgs, ProgressBar, stringFlag, usage, withCommas } from '@anomalog/cli-kit';
import { openInput, type LogInput } from './input.js';
import { FORMAT_FLAGS, FORMATS, formatFlags, trainProgress, warnUnparsed } from './options.js';

export const TRAIN_HELP = `usage: anomalog train FILE... --out models/NAME.json [--detector iforest|autoencoder|ensemble]
                      [--seed N] [--format ${FORMATS.join('|')}] [--pattern REGEX] [--session-key REGEX] [--name NAME]

Trains a model on the FILEs (read in order as one stream) and writes it to --out.
  --pattern   a regex with named groups (ts, level, message, any other field); implies --format custom`;

export async function runTrain(argv: readonly string[]): Promise<void> {
  const args = parseArgs(
    argv,
    {
      out: { value: true },
      detector: { value: true, choices: DETECTOR_KINDS },
      seed: { value: true },
      ...FORMAT_FLAGS,
      'session-key': { value: true },
      name: { value: true },
      help: {},
    },
    'train',
  );
  if (args.flags.help) {
    process.stdout.write(`${TRAIN_HELP}\n`);
    return;
  }
  const out = stringFlag(args, 'out');
  if (!out) throw usage('train needs --out PATH', 'train');
  if (args.positionals.length === 0) throw usage('train needs at least one FILE', 'train');
  const inputs: LogInput[] = [];
  try {
    for (const file of args.positionals) inputs.push(await openInput(file));
    const bar = new ProgressBar('training');
    const model = await trainBatches(concat(inputs), {
      detector: stringFlag(args, 'detector') as DetectorKind | undefined,
      seed: intFlag(args, 'seed', 'train'),
      ...formatFlags(args, 'train'),
      sessionKey: stringFlag(args, 'session-key'),
      name: stringFlag(args, 'name') ?? basename(out).replace(/\.json$/, ''),
      source: inputs.map((i) => i.name).join(', '),
      onProgress: trainProgress(bar),
      autoencoderThread: true,
    });
    bar.done();
    warnUnparsed(model);
    await saveModel(out, model);
    process.stderr.write(
      `anomalog: trained ${model.detector} model "${model.name}" on ${withCommas(model.trainedOn.lines)} lines (${model.format}) -> ${out}\n`,
    );
  } finally {
    for (const i of inputs) await i.close();
  }
}

async function* concat(inputs: readonly LogInput[]): AsyncGenerator<string[]> {
  for (const input of inputs) yield* input.batches();
}
