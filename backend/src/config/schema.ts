import { z } from 'zod';
import { createParser } from '../parsing/index.js';
import { parseSelector } from '../logql/selector.js';
import { DETECTOR_KINDS } from '@anomalog/contract';
import { parseShard, type Shard } from '../stream.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "2s", "500ms", "24h" or a number of milliseconds -> milliseconds. */
export const duration = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration like 500ms, 2s, 5m, 24h` });
    return z.NEVER;
  }
  return Number(match[1]) * DURATION_UNITS[match[2]];
});

const selector = z.string().superRefine((value, ctx) => {
  try {
    parseSelector(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const detector = z.enum(DETECTOR_KINDS);
const labels = z.record(z.string(), z.string());

const thresholds = z
  .strictObject({ low: z.number(), medium: z.number(), high: z.number(), critical: z.number() })
  .refine((t) => t.low <= t.medium && t.medium <= t.high && t.high <= t.critical, {
    message: 'thresholds must rise: low <= medium <= high <= critical',
  });

const limits = z.strictObject({
  bodyBytes: z
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  batchLines: z.number().int().positive().default(10_000),
  uploadBytes: z
    .number()
    .int()
    .positive()
    .default(100 * 1024 * 1024),
  queryHours: z.number().positive().default(721),
  maxLines: z.number().int().positive().default(5_000),
  /** A Loki API query running longer is stopped with 504, as Loki's query timeout (1 minute by default). */
  queryTimeoutMs: z.number().int().positive().default(60_000),
  /** Live tails (`/loki/api/v1/tail` websockets) open at once; Loki's max_concurrent_tail_requests is 10 too. */
  tailConnections: z.number().int().positive().default(10),
  lineBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024),
  trainLines: z.number().int().positive().default(500_000),
});

/** A glob of log files; `pattern` (a named-group regex) reads a format of your own and implies `format: custom`. */
const fileSource = z
  .strictObject({ path: z.string().min(1), labels, format: z.string().optional(), pattern: z.string().optional() })
  .superRefine((f, ctx) => {
    if (f.pattern === undefined) {
      if (f.format === 'custom')
        ctx.addIssue({
          code: 'custom',
          path: ['pattern'],
          message: 'format custom needs a pattern (a regex with named groups)',
        });
      return;
    }
    if (f.format !== undefined && f.format !== 'custom') {
      ctx.addIssue({ code: 'custom', path: ['format'], message: `a pattern goes with format custom, not ${f.format}` });
      return;
    }
    try {
      createParser('custom', { pattern: f.pattern });
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: (err as Error).message });
    }
  });

const shardObject = z
  .strictObject({ index: z.number().int().min(0), total: z.number().int().min(1) })
  .refine((s) => s.index < s.total, {
    message: 'index must be below total (indexes run from 0 to total - 1, as hashmod)',
  });

const shardText = (text: string, ctx: z.RefinementCtx): Shard => {
  const shard = parseShard(text);
  if (typeof shard === 'string') {
    ctx.addIssue({ code: 'custom', message: shard });
    return z.NEVER;
  }
  return shard;
};

const lokiSource = z.strictObject({
  url: z.string().default(''),
  tenant: z.string().default(''),
  bearer: z.string().default(''),
  basicAuth: z.string().default(''),
});

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      port: z.number().int().min(0).max(65_535).default(3101),
      host: z.string().default('0.0.0.0'),
      cors: z.array(z.string()).default(['*']),
      /** Bearer token for everything but /health and /ready; empty = no auth. Usually set as ANOMALOG_TOKEN. */
      token: z.string().default(''),
      limits: limits.prefault({}),
    })
    .prefault({}),
  defaults: z.strictObject({ detector: detector.default('ensemble'), model: z.string().default('web') }).prefault({}),
  models: z.strictObject({ dir: z.string().default('models') }).prefault({}),
  /** Per-detector severity thresholds replacing the ones stored in the models. */
  thresholds: z.partialRecord(detector, thresholds).default({}),
  sources: z
    .strictObject({
      file: z.array(fileSource).default([]),
      /** Upstream Loki; left out (or an empty url) means none. */
      loki: lokiSource.optional().transform((loki) => (loki?.url ? loki : undefined)),
    })
    .prefault({}),
  streams: z.array(z.strictObject({ selector, model: z.string().min(1), detector: detector.optional() })).default([]),
  watch: z
    .strictObject({
      streams: z.array(selector).default([]),
      /** Milliseconds (written as "2s" in YAML). */
      interval: duration.default(2_000),
      push: z.strictObject({ url: z.string().default('') }).prefault({}),
      checkpoint: z.string().default('data/anomalog-checkpoint.json'),
      /**
       * Scale-out: this replica scores only the streams whose label hash modulo `total` is `index` (0-based, as
       * Prometheus' hashmod); left out, it scores every stream. `{ index, total }` or "index/total";
       * `--shard index/total` on the command line, ANOMALOG_SHARD in the environment.
       */
      shard: z
        .union([z.string(), shardObject])
        .transform((v, ctx) => (typeof v === 'string' ? shardText(v, ctx) : v))
        .optional(),
    })
    .prefault({}),
  /**
   * Per-stream learning: a stream no loaded model covers (its `streams` route, or defaults.model, names a model that
   * is not there) gets a model of its own, `auto-<group>`, learned from its first lines (docs/api.md).
   */
  learning: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Streams with the same value of this label share one model; "" = each label set learns its own. */
      groupBy: z.string().default('job'),
      /** A model is learned from a stream's first this many lines... */
      warmupLines: z.number().int().min(200).default(2_000),
      /** ...or from what came this long after its first line was seen (at least 200 lines: validation needs them). */
      warmup: duration.default(10 * 60_000),
      detector: detector.default('iforest'),
      seed: z.number().int().default(42),
      /**
       * The Isolation Forest of a learned model: 50 trees of 64 rows take 0.5-0.7 MB a model scoring instead of
       * 1.2-2.9 MB (100 of 256), for the same F1 on generated traffic (0.890 against 0.894).
       */
      trees: z.number().int().min(10).max(500).default(50),
      sampleSize: z.number().int().min(16).max(4096).default(64),
      /** Retrain on the latest lines this often (0: never). */
      retrain: duration.default(24 * 3_600_000),
      /** Retrain when more than this share of recent lines have a template the model never saw (1: never). */
      drift: z.number().min(0).max(1).default(0.2),
      /** How often warm-ups and drift are checked. */
      interval: duration.default(5_000),
      /** At most this many learned models (streams past it stay unscored, marked learning). */
      maxModels: z.number().int().positive().default(2_000),
    })
    .prefault({}),
  uploads: z
    .strictObject({
      dir: z.string().default('data/uploads'),
      /** Milliseconds (written as "24h" in YAML). */
      ttl: duration.default(24 * 3_600_000),
    })
    .prefault({}),
  feedback: z
    .strictObject({ file: z.string().default('data/feedback.jsonl'), ttl: duration.default(7 * 86_400_000) })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** `anomalog start`'s log lines: one readable line each on a terminal (auto), or pino's JSON lines. */
      format: z.enum(['auto', 'json', 'pretty']).default('auto'),
    })
    .prefault({}),
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type Thresholds = z.output<typeof thresholds>;
