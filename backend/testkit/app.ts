/** Shared by the API tests: a real model trained by the real pipeline on generated traffic, and a context around it. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTraffic } from '@anomalog/generator';
import { pino } from 'pino';
import { loadConfig, type ConfigInput } from '../src/config/index.js';
import { saveModel, type Model } from '../src/models/index.js';
import { train } from '../src/pipeline/index.js';
import { createSources } from '../src/sources/index.js';
import { createContext, type AppContext } from '../src/service/context.js';
import { startFakeLoki, type FakeLoki } from './fake-loki.js';

/** The lines of generated traffic (the generator's offline options), without their labels. */
export function trafficLines(opts: Parameters<typeof generateTraffic>[0]): string[] {
  return [...generateTraffic(opts)].map((r) => r.line);
}

/** Generated access-log lines (nginx combined with rt=), deterministic for a seed. */
export function webLines(lines: number, seed: number, anomalyRate = 0): string[] {
  return trafficLines({ lines, seed, anomalyRate });
}

/**
 * An Isolation Forest web model (the fast one to train) on normal traffic. 4,000 lines: enough for the forest's top
 * training row to reach `medium` (detectors/calibration.ts), so the planted attacks a test reads by severity, scored
 * by the forest alone, rank above normal traffic's top as in a model of the default 100,000 lines.
 */
export function trainWebModel(name = 'web', lines = 4_000, seed = 7): Promise<Model> {
  return train(webLines(lines, seed), { name, seed, detector: 'iforest', source: 'test' });
}

export interface TestContext {
  ctx: AppContext;
  dir: string;
  cleanup(): Promise<void>;
}

/** A context over a fresh temp directory (models, uploads, feedback, logs) holding the given models. */
export async function testContext(
  models: Record<string, Model>,
  overrides: ConfigInput = {},
  opts: { dir?: string } = {},
): Promise<TestContext> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'anomalog-api-'));
  for (const [name, model] of Object.entries(models)) await saveModel(join(dir, 'models', `${name}.json`), model);
  const config = loadConfig({
    path: null,
    env: {},
    baseDir: dir,
    overrides: {
      defaults: { detector: 'iforest', model: 'web' },
      sources: { file: [{ path: 'logs/access*.log', labels: { job: 'web' } }] },
      log: { level: 'silent' },
      ...overrides,
    },
  });
  const sources = createSources(config);
  const ctx = await createContext(config, { sources, log: pino({ level: 'silent' }) });
  return {
    ctx,
    dir,
    async cleanup() {
      await ctx.learner.close();
      await sources.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A context with the watcher's settings of `anomalog start` for the web stream, its fake Loki, and its log. */
export interface WatchedWebContext extends TestContext {
  /** Receives the watcher's pushes. */
  loki: FakeLoki;
  /** `<dir>/logs/access.log`, which `{job="web"}` reads and the watcher follows (its directory made, not written). */
  log: string;
}

/**
 * A context whose watcher follows `{job="web"}` (`watch.streams`), checkpoints to `state/checkpoint.json` and pushes
 * to a fake Loki started for it, holding `model` (a web model trained afresh when none is given). `cleanup()` closes
 * the fake Loki too.
 */
export async function watchedWebContext(model?: Model): Promise<WatchedWebContext> {
  const loki = await startFakeLoki();
  const tc = await testContext(
    { web: model ?? (await trainWebModel()) },
    { watch: { streams: ['{job="web"}'], push: { url: loki.url }, checkpoint: 'state/checkpoint.json' } },
  );
  mkdirSync(join(tc.dir, 'logs'));
  return {
    ...tc,
    loki,
    log: join(tc.dir, 'logs', 'access.log'),
    async cleanup() {
      await loki.close();
      await tc.cleanup();
    },
  };
}
