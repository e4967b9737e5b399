import pc from 'picocolors';
import { InputError } from '../errors.js';
import { augmentCommand, simulateCommand } from './hdfs.js';
import { trafficCommand } from './traffic.js';
import { webCommand } from './web.js';

const HELP = `anomalog-generate: logs for training, demos and tests

Commands:
  web             run the demo shop on port 8081, logging every request (file, stdout, Loki sinks)
  traffic         labelled web traffic: offline to a file (fast, deterministic) or live against the shop
  hdfs-augment    grow the HDFS_2k sample into a large labelled HDFS set
  hdfs-simulate   simulate HDFS block lifecycles of any size, labelled

Run "anomalog-generate <command> --help" for a command's options.
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  web: webCommand,
  traffic: trafficCommand,
  'hdfs-augment': augmentCommand,
  'hdfs-simulate': simulateCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) throw new InputError(`unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})`);
  await command(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    const usage = err instanceof InputError;
    process.stderr.write(`${pc.red('anomalog-generate:')} ${err.message}\n`);
    if (!usage && process.env.ANOMALOG_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
