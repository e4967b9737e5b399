import { ModelError } from '../models/errors.js';
import { PipelineInputError } from '../pipeline/errors.js';
import { CliError } from '@anomalog/cli-kit';

const HELP = `usage: anomalog <command> [options]

commands:
  scan FILE|-        score every line of a log file (trains on it unless --model is given)
  train FILE...      train a model and write it with --out
  start              run the service (Loki-compatible API, watcher, standalone page)

Run "anomalog <command> --help" for a command's options. Exit codes: 0 ok, 1 bad input or model, 2 usage.`;

/** Each command loads only when asked for, so a usage error or `scan` does not load the service. */
const COMMANDS: Record<string, () => Promise<(argv: string[]) => Promise<void>>> = {
  scan: async () => (await import('./scan.js')).runScan,
  train: async () => (await import('./train.js')).runTrain,
  start: async () => (await import('./start.js')).runStart,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return command ? 0 : 2;
  }
  const load = COMMANDS[command];
  if (!load) throw new CliError(`unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')})`, 2);
  await (
    await load()
  )(rest);
  return 0;
}

/** A user's mistake prints one line; anything else is a bug: one line too, the stack only with ANOMALOG_DEBUG=1. */
function report(e: unknown): number {
  if (e instanceof CliError || e instanceof ModelError || e instanceof PipelineInputError) {
    process.stderr.write(`anomalog: ${e.message}\n`);
    return e instanceof CliError ? e.exitCode : 1;
  }
  if (process.env.ANOMALOG_DEBUG) {
    process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  } else {
    const message = (e as Error)?.message ?? String(e);
    process.stderr.write(
      `anomalog: internal error: ${message.split('\n')[0]} (run with ANOMALOG_DEBUG=1 for details)\n`,
    );
  }
  return 70;
}

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = report(e);
  },
);
