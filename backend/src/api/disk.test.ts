/**
 * A real full disk: the data directory (models, checkpoint, feedback, uploads) on a 20 MB tmpfs filled to the last
 * byte. The service stays up and says why; when space returns it carries on, and the watcher loses no line.
 * Needs root for `mount` (skipped, with a note, where it cannot mount).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './server.js';
import { Watcher } from '../watch/index.js';
import { startFakeLoki, type FakeLoki } from '../../testkit/fake-loki.js';
import { testContext, trafficLines, trainWebModel, type TestContext } from '../../testkit/app.js';

const root = mkdtempSync(join(tmpdir(), 'anomalog-disk-'));
const data = join(root, 'data');
const logs = join(root, 'logs');
mkdirSync(data);
mkdirSync(logs);
const mounted = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', data], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let tc: TestContext;
let server: RunningServer;
let loki: FakeLoki;
const T0 = Date.UTC(2026, 0, 1);
const traffic = (n: number, seed: number) =>
  trafficLines({ lines: n, seed, anomalyRate: 0.1, start: T0 + seed * 600_000 });

beforeAll(async () => {
  if (!mounted) return;
  loki = await startFakeLoki();
  tc = await testContext(
    { web: await trainWebModel() },
    {
      sources: { file: [{ path: join(logs, 'access*.log'), labels: { job: 'web' } }] },
      watch: { streams: ['{job="web"}'], push: { url: loki.url }, checkpoint: 'state/checkpoint.json' },
    },
    { dir: data },
  );
  server = await startServer(tc.ctx, { port: 0, host: '127.0.0.1' });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await loki?.close();
  await tc?.ctx.sources.close();
  if (mounted) execFileSync('umount', ['-l', data]);
  rmSync(root, { recursive: true, force: true });
});

/** Fills the file system of `dir` to the last byte; returns the filler to remove. */
function fill(dir: string): string {
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(1 << 16, 120);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  try {
    for (;;) writeSync(fd, block.subarray(0, 512));
  } catch {
    // now truly full
  }
  closeSync(fd);
  return filler;
}

const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe.skipIf(!mounted)('disk full on the data directory', () => {
  it('stays up, says why, and after space returns carries on with no loss', async () => {
    const log = join(logs, 'access.log');
    const written = [...traffic(300, 1)];
    writeFileSync(log, `${written.join('\n')}\n`);
    const watcher = await Watcher.open(tc.ctx, { from: 'start', backoff: { initialMs: 10, maxMs: 40 } });
    expect(await watcher.cycle()).toBe(true);

    const filler = fill(data);
    const more = traffic(400, 2);
    appendFileSync(log, `${more.join('\n')}\n`);
    written.push(...more);
    expect(await watcher.cycle()).toBe(false); // the checkpoint cannot be written
    expect(await watcher.cycle()).toBe(false);
    expect(await tc.ctx.metrics.registry.getSingleMetricAsString('anomalog_source_errors_total')).toMatch(
      /source="checkpoint"} [1-9]/,
    );

    const feedback = { kind: 'false_positive', labels: { job: 'web' }, template: 'GET /x' };
    const refused = await post('/api/v1/feedback', feedback);
    expect(refused.status).toBe(507);
    expect(((await refused.json()) as { error: string }).error).toMatch(/disk is full/);
    const form = new FormData();
    form.append('file', new Blob([traffic(2_000, 3).join('\n')]), 'access.log');
    const upload = await fetch(`${server.url}/api/v1/uploads`, { method: 'POST', body: form });
    expect(upload.status).toBe(507);
    await expect(tc.ctx.models.install('web', tc.ctx.models.get('web')!)).rejects.toThrow(/ENOSPC/);
    expect(tc.ctx.models.get('web')).toBeDefined();
    expect((await fetch(`${server.url}/health`)).status).toBe(200);

    rmSync(filler);
    expect(await watcher.cycle()).toBe(true);
    expect(await watcher.cycle()).toBe(true);
    await watcher.stop();
    expect((await post('/api/v1/feedback', feedback)).status).toBe(201);
    const scored = await tc.ctx.metrics.registry.getSingleMetric('anomalog_lines_scored_total')!.get();
    expect(scored.values.filter((v) => String(v.labels.stream).includes(log)).reduce((n, v) => n + v.value, 0)).toBe(
      written.length,
    );
    const pushed = loki.pushes.flatMap((p) => p.streams.flatMap((s) => s.values.map((v) => `${v[0]} ${v[1]}`)));
    expect(new Set(pushed).size).toBe(pushed.length);
    // Nothing half-written stays behind.
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(join(data, 'models')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }, 120_000);
});
