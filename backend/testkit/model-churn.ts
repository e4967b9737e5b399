/**
 * A child process for the crash tests: installs and rolls back the model `web` in `<dir>/models` in a loop, as fast
 * as it can, until it is killed (kill -9). Models to alternate: `<dir>/a.json` and `<dir>/b.json`.
 * Usage: node --import tsx model-churn.ts <dir>
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createMetrics } from '../src/metrics.js';
import { loadModel } from '../src/models/index.js';
import { FeedbackStore } from '../src/service/feedback.js';
import { ModelRegistry } from '../src/service/registry.js';

const dir = process.argv[2];
const config = loadConfig({ path: null, env: {}, baseDir: dir, overrides: { log: { level: 'silent' } } });
const registry = new ModelRegistry(config, {
  metrics: createMetrics(),
  log: pino({ level: 'silent' }),
  feedback: await FeedbackStore.open(join(dir, 'feedback.jsonl')),
});
await registry.loadAll();
const models = [await loadModel(join(dir, 'a.json')), await loadModel(join(dir, 'b.json'))];
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  await registry.install('web', models[i % 2]);
  if (i % 3 === 2) await registry.rollback('web');
}
