import { listening, validateFlags } from '@anomalog/cli-kit';
import { z } from 'zod';
import { parseSinkSpec, type SinkSpec } from '../sinks/sink.js';
import { startTraffic } from '../traffic/driver.js';
import { startWebApp } from '../web/server.js';
import { ensureWritableDir, flag, readFlags } from './flags.js';
import { printSummary } from './summary.js';

export const WEB_HELP = `anomalog-generate web: the demo shop, logging every request

  anomalog-generate web [--port 8081] [--sink file:data/logs] [--sink stdout] [--sink loki:http://localhost:3100]

Every request writes one access-log line (Apache combined, plus " rt=<seconds>" unless --access-format combined);
application events (logins, orders, slow queries, DB failures, unauthorised admin access) go to the app log.
Sinks combine: files (access.log, app.log, rotated by size), stdout, Loki push (batched, retried).

Options:
  --port N               port (default 8081; 0 picks a free one)
  --host H               interface (default 0.0.0.0)
  --sink SPEC            file:DIR, stdout or loki:URL; repeatable (default file:data/logs)
  --max-bytes N          rotate a log file once it reaches N bytes (default 52428800)
  --access-format F      nginx (default) or combined
  --app-format F         json (default) or text
  --drive                also drive the app with live traffic (see --rate, --anomaly-rate)
  --rate R               requests per second when driving (default 5)
  --anomaly-rate R       share of incident requests when driving (default 0.02)
  --seed N               seed for the app and the traffic (default 1)
  -h, --help             this help

POST /__faults {"fault": "outage_5xx" | "latency_spike" | "db_error_storm", "seconds": N} starts an incident
window (this route is not logged).
`;

const Flags = z.object({
  port: flag.port().default(8081),
  host: z.string().min(1).default('0.0.0.0'),
  sink: z.array(z.string()).default(['file:data/logs']),
  maxBytes: flag.count().optional(),
  accessFormat: z.enum(['nginx', 'combined'], { message: 'expected nginx or combined' }).default('nginx'),
  appFormat: z.enum(['json', 'text'], { message: 'expected json or text' }).default('json'),
  drive: z.boolean().default(false),
  rate: flag.positive().default(5),
  anomalyRate: flag.rate().default(0.02),
  seed: flag.seed().default(1),
});

export async function webCommand(argv: string[]): Promise<void> {
  const raw = readFlags(
    argv,
    {
      port: { value: true },
      host: { value: true },
      sink: { value: true, repeat: true },
      'max-bytes': { value: true },
      'access-format': { value: true },
      'app-format': { value: true },
      drive: {},
      rate: { value: true },
      'anomaly-rate': { value: true },
      seed: { value: true },
    },
    'web',
  );
  if (raw.help) return void process.stdout.write(WEB_HELP);
  const f = validateFlags(Flags, {
    ...raw,
    maxBytes: raw['max-bytes'],
    accessFormat: raw['access-format'],
    appFormat: raw['app-format'],
    anomalyRate: raw['anomaly-rate'],
  });
  const sinks: SinkSpec[] = f.sink
    .map(parseSinkSpec)
    .map((s) => (s.kind === 'file' ? { ...s, maxBytes: f.maxBytes } : s));
  for (const s of sinks) if (s.kind === 'file') ensureWritableDir(s.dir);
  const app = await listening(
    startWebApp({
      port: f.port,
      host: f.host,
      sinks,
      seed: f.seed,
      accessFormat: f.accessFormat,
      appFormat: f.appFormat,
    }),
    f.port,
    'the shop',
    '--port',
  );
  const toStderr = sinks.some((s) => s.kind === 'stdout');
  (toStderr ? process.stderr : process.stdout).write(`shop listening on ${app.url} (sinks: ${f.sink.join(', ')})\n`);
  const driver = f.drive
    ? startTraffic({ target: app.url, rate: f.rate, anomalyRate: f.anomalyRate, seed: f.seed })
    : undefined;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await driver?.stop();
  await app.close();
  const stats = app.sink.stats();
  printSummary(
    'web app stopped',
    stats.map((s) => [s.name, `${s.written} lines written, ${s.dropped} dropped`] as [string, string]),
    driver?.stats().sent ?? {},
    sinks.flatMap((s) => (s.kind === 'file' ? [`${s.dir}/access.log`, `${s.dir}/app.log`] : [])),
  );
}
