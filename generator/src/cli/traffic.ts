import { CliError, ProgressBar, validateFlags } from '@anomalog/cli-kit';
import { z } from 'zod';
import { OFF_BY_DEFAULT, SCENARIOS, type Scenario } from '../traffic/scenarios.js';
import { ensureWritableFile, flag, readFlags } from './flags.js';
import { printSummary } from './summary.js';

export const TRAFFIC_HELP = `anomalog-generate traffic: labelled web traffic, offline to a file or live against the web app

Offline (fast, deterministic):
  anomalog-generate traffic --lines N --out FILE [options]
  writes FILE (access log) and FILE.labels.jsonl: {"line": n, "file": "...", "label": "normal" | scenario}

Live (drives the web app over HTTP in real time):
  anomalog-generate traffic --target http://127.0.0.1:8081 [--rate R] [--duration S]

Options:
  --lines N              lines to write (offline)
  --out FILE             access log to write (offline)
  --anomaly-rate R       share of lines that belong to incidents, 0 to <1 (default 0.02)
  --seed N               same seed, same bytes (default 1)
  --population N         seed of the site's users, IPs, agents and products (default 1)
  --rate R               peak requests per second (offline default 40, live default 5)
  --format F             nginx (default: combined + " rt=<seconds>") or combined (no latency field)
  --start ISO            first timestamp (offline default 2024-03-01T00:00:00Z)
  --scenarios LIST       comma list of scenario[:weight]; others are disabled
                         (${SCENARIOS.join(', ')})
  --target URL           web app to drive (live)
  --duration S           stop after S seconds (live; default: until Ctrl-C)
  -h, --help             this help
`;

const Flags = z.object({
  lines: flag.count().optional(),
  out: z.string().min(1).optional(),
  anomalyRate: flag.rate().default(0.02),
  seed: flag.seed().default(1),
  population: flag.seed().default(1),
  rate: flag.positive().optional(),
  format: z.enum(['nginx', 'combined'], { message: 'expected nginx or combined' }).default('nginx'),
  start: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO date such as 2024-03-01T00:00:00Z')
    .transform((s) => Date.parse(s))
    .optional(),
  scenarios: z.string().transform(parseScenarioWeights).optional(),
  target: z.url({ message: 'expected a URL such as http://127.0.0.1:8081' }).optional(),
  duration: flag.positive().optional(),
});

function parseScenarioWeights(list: string): Partial<Record<Scenario, number>> {
  const weights: Partial<Record<Scenario, number>> = Object.fromEntries(SCENARIOS.map((s) => [s, 0]));
  for (const item of list.split(',').filter(Boolean)) {
    const [name, w = '1'] = item.split(':');
    if (!(SCENARIOS as readonly string[]).includes(name))
      throw new CliError(`--scenarios: unknown scenario "${name}" (known: ${SCENARIOS.join(', ')})`, 2);
    if (!(Number(w) >= 0)) throw new CliError(`--scenarios: weight of ${name} must be a number >= 0`, 2);
    weights[name as Scenario] = Number(w);
  }
  return weights;
}

export async function trafficCommand(argv: string[]): Promise<void> {
  const raw = readFlags(
    argv,
    {
      lines: { value: true },
      out: { value: true },
      'anomaly-rate': { value: true },
      seed: { value: true },
      population: { value: true },
      rate: { value: true },
      format: { value: true },
      start: { value: true },
      scenarios: { value: true },
      target: { value: true },
      duration: { value: true },
    },
    'traffic',
  );
  if (raw.help) return void process.stdout.write(TRAFFIC_HELP);
  const f = validateFlags(Flags, { ...raw, anomalyRate: raw['anomaly-rate'] });
  if (f.target) {
    if (f.out || f.lines) throw new CliError('--target (live) cannot be combined with --out/--lines (offline)', 2);
    return live(f.target, f);
  }
  if (!f.out || !f.lines)
    throw new CliError('offline mode needs --lines N and --out FILE (or --target URL for live mode)', 2);
  ensureWritableFile(f.out);
  const { writeTraffic } = await import('../traffic/offline.js');
  const bar = new ProgressBar('traffic', { unit: 'lines' });
  const t0 = performance.now();
  const summary = writeTraffic({
    out: f.out,
    lines: f.lines,
    anomalyRate: f.anomalyRate,
    seed: f.seed,
    population: f.population,
    rate: f.rate,
    format: f.format,
    start: f.start,
    weights: f.scenarios,
    onProgress: (done, total) => bar.update(done, total),
  });
  bar.done();
  const seconds = (performance.now() - t0) / 1000;
  printSummary(
    'traffic written',
    [
      ['lines', summary.lines],
      ['anomalous lines', summary.anomalies],
      ['lines/s', Math.round(summary.lines / seconds)],
    ],
    withEveryScenario(summary.byLabel, f.scenarios),
    summary.files,
  );
}

/**
 * The counts by label with every enabled scenario in them, 0 for one drawn no time in this run (at --anomaly-rate
 * 0.02 over a few thousand lines the window scenarios often are), rather than left out as if it did not exist.
 */
export function withEveryScenario(
  byLabel: Record<string, number>,
  weights: Partial<Record<Scenario, number>> | undefined,
): Record<string, number> {
  const enabled = SCENARIOS.filter((s) => (weights ? (weights[s] ?? 0) > 0 : !OFF_BY_DEFAULT.includes(s)));
  return { ...Object.fromEntries(enabled.map((s) => [s, 0])), ...byLabel };
}

async function live(target: string, f: z.infer<typeof Flags>): Promise<void> {
  const { startTraffic } = await import('../traffic/driver.js');
  const driver = startTraffic({ target, rate: f.rate, anomalyRate: f.anomalyRate, seed: f.seed, weights: f.scenarios });
  process.stderr.write(
    `driving ${target} at ${f.rate ?? 5} requests/s${f.duration ? ` for ${f.duration} s` : ' (Ctrl-C stops)'}\n`,
  );
  await new Promise<void>((resolve) => {
    const timer = f.duration ? setTimeout(resolve, f.duration * 1000) : undefined;
    process.once('SIGINT', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await driver.stop();
  const { sent, failed } = driver.stats();
  const total = Object.values(sent).reduce((a, b) => a + b, 0);
  printSummary(
    'traffic sent',
    [
      ['requests', total],
      ['incident requests', total - (sent.normal ?? 0)],
      ['failed to connect', failed],
    ],
    sent,
    [],
  );
}
