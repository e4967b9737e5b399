import pc from 'picocolors';
import { CliError } from '@anomalog/cli-kit';

const HELP = `anomalog-generate: logs for training, demos and tests

Commands:
  web             run the demo shop on port 8081, logging every request (file, stdout, Loki sinks)
  traffic         labelled web traffic: offline to a file (fast, deterministic) or live against the shop
  hdfs-augment    grow the HDFS_2k sample into a large labelled HDFS set
  hdfs-simulate   simulate HDFS block lifecycles of any size, labelled

Run "anomalog-generate <command> --help" for a command's options.
`;

/** Loaded on demand: --help and argument errors answer without loading faker or the web stack. */
const COMMANDS: Record<string, () => Promise<(argv: string[]) => Promise<void>>> = {
  web: async () => (await import('./web.js')).webCommand,
  traffic: async () => (await import('./traffic.js')).trafficCommand,
  'hdfs-augment': async () => (await import('./hdfs.js')).augmentCommand,
  'hdfs-simulate': async () => (await import('./hdfs.js')).simulateCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) throw new CliError(`unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})`, 2);
  await (
    await load()
  )(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    const mistake = err instanceof CliError;
    process.stderr.write(`${pc.red('anomalog-generate:')} ${err.message}\n`);
    if (!mistake && process.env.ANOMALOG_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = mistake ? err.exitCode : 1;
  },
);
