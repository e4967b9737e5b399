import type { Model } from '../models/index.js';
import type { TrainProgress } from '../pipeline/index.js';
import { FORMAT_NAMES, type FormatName } from '../types.js';
import { stringFlag, usage, withCommas, type FlagSpec, type ParsedArgs, type ProgressBar } from '@anomalog/cli-kit';

export const FORMATS = ['auto', ...FORMAT_NAMES] as const;

/** `--format` and `--pattern REGEX` (a named-group regex: the custom format, which `--pattern` implies). */
export const FORMAT_FLAGS: Record<string, FlagSpec> = {
  format: { value: true, choices: FORMATS },
  pattern: { value: true },
};

export function formatFlags(args: ParsedArgs, command: string): { format?: FormatName | 'auto'; pattern?: string } {
  const format = stringFlag(args, 'format') as FormatName | 'auto' | undefined;
  const pattern = stringFlag(args, 'pattern');
  if (pattern === undefined) {
    if (format === 'custom') throw usage('--format custom needs --pattern REGEX', command);
    return { format };
  }
  if (format !== undefined && format !== 'custom')
    throw usage(`--pattern goes with --format custom, not --format ${format}`, command);
  return { format: 'custom', pattern };
}

/** Draws training progress: lines read, then the autoencoder's epochs. */
export function trainProgress(bar: ProgressBar): (p: TrainProgress) => void {
  return (p) => {
    if (p.phase === 'read') bar.update(0, 0, `reading: ${withCommas(p.lines)} lines`);
    else if (p.phase === 'fit') bar.update(0, 0, `fitting ${p.member}`);
    else {
      const { phase, epoch, epochs, loss } = p.progress;
      bar.update(epoch, epochs, `autoencoder ${phase} epoch ${epoch}/${epochs} loss ${loss.toFixed(4)}`);
    }
  };
}

/**
 * A model most of whose lines its format did not read learnt from the lines as plain text (a wrong `--format`, or a
 * log mostly of another layout): says so on stderr, once, with what to check.
 */
export function warnUnparsed(model: Model): void {
  const { unparsed = 0, lines } = model.trainedOn;
  if (unparsed * 2 < lines) return;
  process.stderr.write(
    `anomalog: warning: ${withCommas(unparsed)} of the ${withCommas(lines)} lines learnt from are not ${model.format} lines (read as plain text); check --format\n`,
  );
}
