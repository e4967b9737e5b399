/**
 * kill -9 of a real child process in the middle of model installs and rollbacks: whenever it dies, the next start
 * finds models/web.json holding a whole model (the old or the new one), never none and never a torn one.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '@anomalog/contract';
import { loadConfig } from '../config/index.js';
import { createMetrics } from '../metrics.js';
import { saveModel } from '../models/index.js';
import { FeedbackStore } from './feedback.js';
import { ModelRegistry } from './registry.js';
import { trainWebModel } from '../../testkit/app.js';

const CHURN = fileURLToPath(new URL('../../testkit/model-churn.ts', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'anomalog-crash-'));
  const [a, b] = [await trainWebModel('web', 3_000, 1), await trainWebModel('web', 3_000, 2)];
  await saveModel(join(dir, 'a.json'), a);
  await saveModel(join(dir, 'b.json'), b);
  mkdirSync(join(dir, 'models'));
  await saveModel(join(dir, 'models', 'web.json'), a);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function registry() {
  const config = loadConfig({ path: null, env: {}, baseDir: dir, overrides: { log: { level: 'silent' } } });
  const r = new ModelRegistry(config, {
    metrics: createMetrics(),
    log: pino({ level: 'silent' }),
    feedback: await FeedbackStore.open(join(dir, 'feedback.jsonl')),
  });
  await r.loadAll();
  return r;
}

/** Runs the churn child until it is ready, lets it work `ms`, then kills it with SIGKILL. */
function churnAndKill(ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHURN, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) setTimeout(() => child.kill('SIGKILL'), ms);
    });
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`churn exited ${code}: ${err}`)),
    );
  });
}

describe('kill -9 during model install and rollback', () => {
  it('always leaves a whole current model, and never a temp or swap file after the next load', async () => {
    const random = mulberry32(9);
    for (let round = 0; round < 12; round++) {
      await churnAndKill(Math.floor(random() * 400));
      const r = await registry();
      expect(r.names(), `round ${round}`).toContain('web');
      expect(r.failed.size, `round ${round}: ${[...r.failed.values()].join('; ')}`).toBe(0);
      const leftovers = [...readdirSync(join(dir, 'models')), ...readdirSync(join(dir, 'models', 'previous'))].filter(
        (n) => /tmp|swap/.test(n),
      );
      expect(leftovers).toEqual([]);
    }
  }, 180_000);

  it('sweeps the temp file of a model card a kill left behind', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(dir, 'models', 'cards'), { recursive: true });
    writeFileSync(join(dir, 'models', 'cards', '.web@2026.json.0123456789ab.tmp'), '{"valid');
    await registry();
    expect(readdirSync(join(dir, 'models', 'cards')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('repairs the .swap an older rollback stranded when killed mid-way', async () => {
    const { renameSync } = await import('node:fs');
    renameSync(join(dir, 'models', 'web.json'), join(dir, 'models', 'web.json.swap'));
    const r = await registry();
    expect(r.names()).toContain('web');
  });
});
