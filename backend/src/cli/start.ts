import { mkdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { generateTraffic, startTraffic, startWebApp, type WebApp } from '@anomalog/generator';
import pc from 'picocolors';
import { CliError, intFlag, listening, parseArgs, ProgressBar, stringFlag, usage } from '@anomalog/cli-kit';
import { trainProgress } from './options.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { train } from '../pipeline/index.js';
import { createSources } from '../sources/index.js';
import { Watcher } from '../watch/index.js';
import { createContext, type AppContext } from '../service/context.js';
import { consoleLogger } from './console-log.js';
import { boundHeapGrowth } from './memory.js';
import { createMetrics } from '../metrics.js';
import { startServer } from '../api/server.js';
import { redactSecrets } from '../sources/redact.js';
import { parseShard, type Shard } from '../stream.js';

export const START_HELP = `usage: anomalog start [options]

Runs the embedded demo: the generator's web shop and traffic write data/logs/, the watcher scores new lines and
prints anomalies, and the API (Loki-compatible, REST, /metrics, standalone page) listens on server.port (3101).
On the first run (no default model, never one installed) the default model is trained on generated traffic;
with --no-generator, or when the model file is gone or does not load, start stops with an error naming it.

options:
  --config FILE          anomalog.yaml to use (default: ANOMALOG_CONFIG, else ./anomalog.yaml)
  --port N               API port (default: server.port)
  --no-generator         no web shop or traffic: watch the configured files only
  --generator-port N     web shop port (default 8081; 0 picks a free port)
  --rate N               demo requests per second (default 5)
  --anomaly-rate X       share of anomalous demo traffic, 0..1 (default 0.03)
  --train-lines N        generated lines to train a missing default model on (default 20000)
  --seed N               seed for the demo traffic and a trained model (default: the traffic's from the clock, so
                         each start plays other incidents; the model's 1)
  --shard I/N            scale-out: score only the streams whose label hash modulo N is I (0..N-1), as Prometheus'
                         hashmod (default: watch.shard, else every stream); see docs/scale-out.md
  --duration S           stop by itself after S seconds (tests, CI)`;

const FLAGS = {
  config: { value: true },
  port: { value: true },
  'no-generator': {},
  'generator-port': { value: true },
  rate: { value: true },
  'anomaly-rate': { value: true },
  'train-lines': { value: true },
  seed: { value: true },
  duration: { value: true },
  shard: { value: true },
  help: {},
} as const;

interface StartOptions {
  config?: string;
  port?: number;
  generator: boolean;
  generatorPort: number;
  rate: number;
  anomalyRate: number;
  trainLines: number;
  /** --seed: the demo traffic's and a trained model's; absent: see demoSeeds. */
  seed?: number;
  durationMs?: number;
  shard?: Shard;
}

function startOptions(argv: readonly string[]): StartOptions | undefined {
  const args = parseArgs(argv, FLAGS, 'start');
  if (args.flags.help) return undefined;
  if (args.positionals.length) throw usage(`unexpected argument "${args.positionals[0]}"`, 'start');
  const number = (name: string, fallback: number, ok: (n: number) => boolean) => {
    const text = stringFlag(args, name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || !ok(n)) throw usage(`--${name} got "${text}"`, 'start');
    return n;
  };
  const duration = number('duration', 0, (n) => n > 0);
  const shardText = stringFlag(args, 'shard');
  const shard = shardText === undefined ? undefined : parseShard(shardText);
  if (typeof shard === 'string') throw usage(`--shard: ${shard}`, 'start');
  return {
    config: stringFlag(args, 'config'),
    port: intFlag(args, 'port', 'start'),
    generator: !args.flags['no-generator'],
    generatorPort: intFlag(args, 'generator-port', 'start') ?? 8081,
    rate: number('rate', 5, (n) => n > 0),
    anomalyRate: number('anomaly-rate', 0.03, (n) => n >= 0 && n < 1),
    trainLines: intFlag(args, 'train-lines', 'start') ?? 20_000,
    seed: intFlag(args, 'seed', 'start'),
    durationMs: duration > 0 ? duration * 1000 : undefined,
    shard,
  };
}

/**
 * The demo's first run trains the default model on generated traffic, with a progress bar on stderr. Only then: a
 * model file that does not load, a model with a previous version (so it was installed once and is now gone), or a
 * start without the generator is an error naming the file, never a silent retrain on synthetic traffic.
 */
async function ensureDefaultModel(ctx: AppContext, opts: StartOptions): Promise<void> {
  const { model: name, detector } = ctx.config.defaults;
  if (ctx.models.get(name)) return;
  const file = join(ctx.config.models.dir, `${name}.json`);
  const failed = ctx.models.failed.get(name);
  if (failed)
    throw new CliError(
      `the default model "${name}" does not load: ${failed}. Replace ${file} (anomalog train) or restore models/previous/${name}.json`,
    );
  if (await ctx.models.hasPrevious(name)) {
    throw new CliError(
      `the default model "${name}" is missing: ${file} is not there, but its previous version is: copy models/previous/${name}.json back, or train one (anomalog train)`,
    );
  }
  if (!opts.generator) {
    throw new CliError(
      `the default model "${name}" is missing: ${file} is not there. Train one (anomalog train --name ${name} ...); with --no-generator no demo model is trained`,
    );
  }
  process.stderr.write(
    `no ${name} model in ${ctx.config.models.dir}: training one (${detector}) on ${opts.trainLines} generated lines\n`,
  );
  const lines = (function* () {
    for (const r of generateTraffic({ lines: opts.trainLines, seed: demoSeeds(opts.seed).model, anomalyRate: 0 }))
      yield r.line;
  })();
  const bar = new ProgressBar(`training ${name}`);
  try {
    const source = `generated traffic, ${opts.trainLines} lines`;
    const seed = demoSeeds(opts.seed).model;
    const model = await train(lines, { name, detector, seed, source, onProgress: trainProgress(bar) });
    await ctx.models.install(name, model);
  } finally {
    bar.done();
  }
}

/**
 * The demo's seeds. Without --seed the traffic's comes from the clock, so each start plays another sequence of
 * incidents (a fixed seed replayed the same one on every start); a trained default model keeps seed 1, so the same
 * training lines always give the same model. --seed sets both.
 */
export function demoSeeds(seed: number | undefined, now = Date.now()): { traffic: number; model: number } {
  return seed === undefined ? { traffic: now % 2 ** 31, model: 1 } : { traffic: seed, model: seed };
}

function untilStopped(durationMs?: number): Promise<string> {
  return new Promise((resolve) => {
    const timer = durationMs === undefined ? undefined : setTimeout(() => finish('duration reached'), durationMs);
    const finish = (why: string) => {
      clearTimeout(timer);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(why);
    };
    const onInt = () => finish('SIGINT');
    const onTerm = () => finish('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

/** `npm start` / `anomalog start`: the embedded demo, until Ctrl-C (or --duration). */
export async function runStart(argv: string[]): Promise<void> {
  const opts = startOptions(argv);
  if (!opts) {
    process.stdout.write(`${START_HELP}\n`);
    return;
  }
  boundHeapGrowth();
  let config;
  try {
    config = loadConfig({
      path: opts.config,
      overrides: {
        ...(opts.port === undefined ? {} : { server: { port: opts.port } }),
        ...(opts.shard === undefined ? {} : { watch: { shard: opts.shard } }),
      },
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
  const logsDir = config.sources.file[0] && dirname(config.sources.file[0].path);
  if (opts.generator && !logsDir) {
    throw new CliError('the demo generator writes log files, but sources.file is empty in the config');
  }

  // A promise nobody awaited must not take the service down: it is logged (and counted), serving goes on.
  const onRejection = (err: unknown) => {
    process.stderr.write(
      `anomalog: unhandled rejection, kept serving: ${redactSecrets(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`,
    );
  };
  process.on('unhandledRejection', onRejection);
  const metrics = createMetrics({ defaultMetrics: true });
  const sources = createSources(config, { metrics });
  // What runs is stopped in reverse order, also when starting fails half way: nothing is left running.
  const running: (() => Promise<void>)[] = [async () => sources.close()];
  try {
    const ctx = await createContext(config, { sources, metrics, log: consoleLogger(config) });
    // The ports first: one in use is a one-line error before any training or traffic.
    const portFlag = opts.port === undefined ? '--port N (or server.port in anomalog.yaml)' : '--port N';
    const server = await listening(startServer(ctx), config.server.port, 'the API', portFlag);
    running.push(() => server.close());
    let web: WebApp | undefined;
    const seed = demoSeeds(opts.seed).traffic;
    if (opts.generator && logsDir) {
      await mkdir(logsDir, { recursive: true });
      web = await listening(
        startWebApp({ port: opts.generatorPort, sinks: [{ kind: 'file', dir: logsDir }], seed }),
        opts.generatorPort,
        'the demo shop',
        '--generator-port N',
      );
      running.push(() => web!.close());
    }
    await ensureDefaultModel(ctx, opts);
    if (web) {
      const traffic = startTraffic({
        target: web.url,
        rate: opts.rate,
        anomalyRate: opts.anomalyRate,
        seed,
      });
      running.push(() => traffic.stop());
      process.stderr.write(`demo traffic seed ${seed} (--seed ${seed} plays the same incidents again)\n`);
    }
    const watcher = await Watcher.open(ctx);
    watcher.start();
    running.push(() => watcher.stop());

    const url = server.url.replace('127.0.0.1', 'localhost');
    const out = (label: string, value: string) => process.stdout.write(`  ${label.padEnd(26)} ${pc.cyan(value)}\n`);
    process.stdout.write(`${pc.bold('anomalog is running')}\n`);
    out('Loki-compatible API', `${url}   (Grafana: a Loki data source with this URL)`);
    out('REST API', `${url}/api/v1`);
    out('standalone page', `${url}/`);
    out('metrics', `${url}/metrics`);
    if (web) out('demo shop (generator)', web.url);
    if (logsDir) out('watched logs', relative(process.cwd(), logsDir) || logsDir);
    out('models', ctx.models.names().join(', '));
    const shard = config.watch.shard;
    if (shard)
      out(
        'shard',
        `${shard.index}/${shard.total} (scores the streams whose label hash mod ${shard.total} is ${shard.index})`,
      );
    process.stdout.write(`Anomalies print below as they are found. Ctrl-C stops.\n`);

    const why = await untilStopped(opts.durationMs);
    process.stderr.write(`stopping (${why})\n`);
  } finally {
    for (const stop of running.reverse()) await stop().catch(() => undefined);
    process.off('unhandledRejection', onRejection);
  }
  process.stdout.write(`stopped; watcher checkpoint at ${relative(process.cwd(), config.watch.checkpoint)}\n`);
}
