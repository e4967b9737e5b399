import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { train } from '../pipeline/index.js';
import { testContext, type TestContext } from '../../testkit/app.js';
import { Watcher, type Anomaly } from './index.js';
import { DATASETS } from '../../test/fixtures/datasets.js';

const LINUX = readFileSync(join(DATASETS, 'loghub_2k/Linux/Linux_2k.log'), 'utf8').split('\n').filter(Boolean);
let tc: TestContext;

beforeAll(async () => {
  const model = await train(LINUX, { name: 'linux', seed: 1, detector: 'ensemble' });
  tc = await testContext(
    { linux: model },
    {
      defaults: { detector: 'ensemble', model: 'linux' },
      sources: { file: [{ path: 'logs/*.log', labels: { job: 'syslog' } }] },
      watch: { streams: ['{job="syslog"}'], checkpoint: 'state/checkpoint.json' },
    },
  );
  mkdirSync(join(tc.dir, 'logs'));
}, 120_000);
afterAll(() => tc.cleanup());

it('a system log gone quiet has the lines its open minute holds delivered after idleFlushMs, not at its next line', async () => {
  const log = join(tc.dir, 'logs', 'syslog.log');
  const last = LINUX[499];
  const odd = `${last.slice(0, 15)} combo kernel: Out of memory: Killed process 4242 (httpd) score 977 or sacrifice child`;
  writeFileSync(log, `${[...LINUX.slice(0, 500), odd].join('\n')}\n`);
  const sent: Anomaly[] = [];
  const watcher = await Watcher.open(tc.ctx, {
    from: 'start',
    idleFlushMs: 300,
    sink: { send: async (a) => void sent.push(...a) },
  });
  const oddSent = () => sent.some((a) => a.scored.line === odd);
  expect(await watcher.cycle()).toBe(true);
  expect(oddSent()).toBe(false); // its minute is still open: held for a burst that may yet come
  const lag = async () => (await tc.ctx.metrics.watcherLag.get()).values.map((v) => v.value);
  const lagBefore = await lag();
  appendFileSync(log, `${odd}\n`); // held too: a cycle that returns no line leaves the lag as it was
  expect(await watcher.cycle()).toBe(true);
  expect(await lag()).toEqual(lagBefore);
  await new Promise((r) => setTimeout(r, 400));
  expect(await watcher.cycle()).toBe(true);
  expect(oddSent()).toBe(true);
  await watcher.stop();
}, 120_000);
