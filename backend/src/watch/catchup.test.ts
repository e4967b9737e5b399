/** Watcher catch-up over a backlog shares the event loop with the API: /health still answers within 100 ms. */
import { appendFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../api/server.js';
import { trafficLines, watchedWebContext, type WatchedWebContext } from '../../testkit/app.js';
import { median, responsiveness } from '../../testkit/responsiveness.js';
import { Watcher } from './index.js';

let tc: WatchedWebContext;
let server: RunningServer;
let backlog: string[];

beforeAll(async () => {
  tc = await watchedWebContext();
  const lines = trafficLines({ lines: 100_000, seed: 8, anomalyRate: 0.01, start: Date.UTC(2026, 0, 1) });
  writeFileSync(tc.log, `${lines.slice(0, 100).join('\n')}\n`);
  backlog = lines.slice(100);
  server = await startServer(tc.ctx, { port: 0, host: '127.0.0.1' });
  await (await fetch(`${server.url}/health`)).text();
}, 120_000);
afterAll(async () => {
  await server?.close();
  await tc?.cleanup();
});

describe('watcher catch-up', () => {
  it('scores a 100,000-line backlog while /health answers within 100 ms', async () => {
    const watcher = await Watcher.open(tc.ctx, { from: 'start', intervalMs: 50 });
    watcher.start();
    const scored = async () =>
      (await tc.ctx.metrics.registry.getSingleMetric('anomalog_lines_scored_total')!.get()).values.reduce(
        (n, v) => n + v.value,
        0,
      );
    // Running (its scorer made, the file followed): then the backlog lands at once.
    for (let i = 0; i < 600 && (await scored()) < 100; i++) await new Promise((r) => setTimeout(r, 20));
    appendFileSync(tc.log, `${backlog.join('\n')}\n`);
    const { health, loopMaxMs } = await responsiveness(server.url, async () => {
      for (let i = 0; i < 3_000 && (await scored()) < 100_000; i++) await new Promise((r) => setTimeout(r, 20));
    });
    await watcher.stop();
    expect(await scored()).toBe(100_000);
    expect(health.length).toBeGreaterThan(10);
    console.info(
      `figures ${'catchup'}: /health n=${health.length} median ${median(health).toFixed(1)} ms, max ${Math.max(...health).toFixed(1)} ms; event loop held at most ${loopMaxMs.toFixed(1)} ms`,
    );
    expect(loopMaxMs).toBeLessThan(100);
    expect(median(health)).toBeLessThan(100);
  }, 300_000);
});
