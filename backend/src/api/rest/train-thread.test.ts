/** Training runs in a worker thread: the service keeps answering (/health within 100 ms) while a job trains. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { testContext, trafficLines, trainWebModel, type TestContext } from '../../../testkit/app.js';
import { median, responsiveness } from '../../../testkit/responsiveness.js';

let tc: TestContext;
let server: RunningServer;

beforeAll(async () => {
  tc = await testContext({ web: await trainWebModel() });
  mkdirSync(join(tc.dir, 'logs'));
  const lines = trafficLines({ lines: 40_000, seed: 6, start: Date.now() - 1_800_000 });
  writeFileSync(join(tc.dir, 'logs', 'access.log'), `${lines.join('\n')}\n`);
  server = await startServer(tc.ctx, { port: 0, host: '127.0.0.1' });
  await (await fetch(`${server.url}/health`)).text();
}, 120_000);
afterAll(async () => {
  await server?.close();
  await tc?.cleanup();
});

describe('training off the event loop', () => {
  it('/health answers within 100 ms while a job trains', async () => {
    const res = await fetch(`${server.url}/api/v1/models/train`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'threaded', detector: 'iforest', from: { selector: '{job="web"}' } }),
    });
    expect(res.status).toBe(202);
    const { status } = (await res.json()) as { status: string };
    let state = 'queued';
    const phases = new Set<string>();
    const started = performance.now();
    const { health, loopMaxMs } = await responsiveness(server.url, async () => {
      while (state === 'queued' || state === 'running') {
        const job = (await (await fetch(`${server.url}${status}`)).json()) as { state: string; phase: string };
        state = job.state;
        phases.add(job.phase);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    const jobMs = performance.now() - started;
    expect(state).toBe('succeeded');
    expect([...phases].some((p) => /training|fitting|templates|features/.test(p))).toBe(true);
    expect(health.length).toBeGreaterThan(5);
    console.info(
      `figures ${'training'}: job ${jobMs.toFixed(0)} ms, /health n=${health.length} median ${median(health).toFixed(1)} ms, max ${Math.max(...health).toFixed(1)} ms; event loop held at most ${loopMaxMs.toFixed(1)} ms`,
    );
    // Off the loop, reading the 40,000 lines held it 42-115 ms at most in seven fresh-clone CI runs (two cores shared
    // with the suite's other files): the loop lags when the process waits for a core, too. Training on the loop would
    // hold it for the whole fit.
    expect(loopMaxMs).toBeLessThan(250);
    expect(median(health)).toBeLessThan(100);
  }, 300_000);
});
