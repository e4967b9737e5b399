/**
 * Abuse of the service over loopback HTTP: label values chosen by the client, secrets in the configuration, torn
 * feedback records, uploads the client abandons, a flood of jobs.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './server.js';
import { FeedbackStore } from '../service/feedback.js';
import { createSources } from '../sources/index.js';
import { createContext } from '../service/context.js';
import { collectGarbage } from '../cli/memory.js';
import { testContext, trafficLines, trainWebModel, webLines, type TestContext } from '../../testkit/app.js';

let tc: TestContext;
let server: RunningServer;

beforeAll(async () => {
  tc = await testContext({ web: await trainWebModel() }, { server: { limits: { uploadBytes: 50_000_000 } } });
  server = await startServer(tc.ctx, { port: 0, host: '127.0.0.1' });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await tc?.cleanup();
});

const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('bounded memory', () => {
  it('10,000 distinct label values: /metrics series stay bounded, and so does memory', async () => {
    const line = webLines(1, 1)[0];
    const series = async () =>
      (await (await fetch(`${server.url}/metrics`)).text()).split('\n').filter((l) => l && !l.startsWith('#'));
    const before = (await series()).length;
    const huge = 'x'.repeat(1_000_000);
    for (let i = 0; i < 10; i++)
      expect((await post('/api/v1/analyze', { line, labels: { job: `${huge}${i}` } })).status).toBe(200);
    const rss0 = process.memoryUsage().rss;
    const heapAfterGc = () => {
      collectGarbage();
      return process.memoryUsage().heapUsed;
    };
    const heaps: number[] = [];
    for (let i = 0; i < 10_000; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, k) =>
          post('/api/v1/analyze', { line, labels: { job: `client-${i + k}` } }).then((r) => r.text()),
        ),
      );
      if (i + 50 === 5_000 || i + 50 === 10_000) heaps.push(heapAfterGc());
    }
    const after = await series();
    const scoredSeries = after.filter((l) => l.startsWith('anomalog_lines_scored_total')).length;
    const metricsBytes = (await (await fetch(`${server.url}/metrics`)).text()).length;
    console.info(
      `figures labels: ${after.length - before} new series (${scoredSeries} of lines_scored), /metrics ${metricsBytes} bytes, RSS +${((process.memoryUsage().rss - rss0) / 2 ** 20).toFixed(0)} MiB, heap after a collection ${(heaps[0] / 2 ** 20).toFixed(0)} MiB at 5,000 labels, ${(heaps[1] / 2 ** 20).toFixed(0)} MiB at 10,000`,
    );
    expect(scoredSeries).toBeLessThanOrEqual(201 * 5); // 200 streams + "other", by severity
    expect(after.length - before).toBeLessThan(1_500);
    const body = (await (await fetch(`${server.url}/metrics`)).text()).length;
    expect(body).toBeLessThan(1_000_000); // ten 1 MB label values do not make /metrics megabytes long
    expect(after.some((l) => l.includes('stream="other"'))).toBe(true);
    // What the streams hold stops growing once their cap is reached (200 streams and "other", by 5,000 labels): the
    // second 5,000 labels add to the heap no more than collection noise. The RSS bound is a sanity check only: it
    // counts garbage not yet returned, 100-205 MiB here under load.
    expect(heaps[1] - heaps[0]).toBeLessThan(32 * 1024 * 1024);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(400 * 1024 * 1024);
  }, 120_000);

  it('a flood of training jobs: past the queue limit they are 429s, never 5xx', async () => {
    mkdirSync(join(tc.dir, 'logs'), { recursive: true });
    const recent = trafficLines({ lines: 3_000, seed: 5, start: Date.now() - 1_800_000 });
    writeFileSync(join(tc.dir, 'logs', 'access.log'), `${recent.join('\n')}\n`);
    const statuses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        post('/api/v1/models/train', {
          name: `flood${i}`,
          detector: 'iforest',
          from: { selector: '{job="web"}' },
        }).then(async (r) => {
          await r.text();
          return r.status;
        }),
      ),
    );
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  }, 120_000);
});

describe('no secrets in answers', () => {
  it('/health and query errors never show credentials of the Loki URL', async () => {
    const config = {
      ...tc.ctx.config,
      sources: {
        ...tc.ctx.config.sources,
        file: [],
        loki: { url: 'http://admin:hunter2@127.0.0.1:9/', tenant: '', bearer: '', basicAuth: '' },
      },
    };
    const sources = createSources(config);
    const ctx = await createContext(config, { sources, log: tc.ctx.log });
    const own = await startServer(ctx, { port: 0, host: '127.0.0.1' });
    try {
      const health = await (await fetch(`${own.url}/health`)).text();
      expect(health).toMatch(/unreachable|no answer/);
      const query = await (await fetch(`${own.url}/loki/api/v1/labels`)).text();
      for (const text of [health, query]) {
        expect(text).not.toContain('hunter2');
        expect(text).not.toContain('admin:');
      }
    } finally {
      await own.close();
      await sources.close();
    }
  });
});

describe('crash-safe feedback', () => {
  it('a torn last record (kill -9 mid-append) never swallows the next acknowledged one', async () => {
    const file = join(tc.dir, 'torn', 'feedback.jsonl');
    mkdirSync(join(tc.dir, 'torn'));
    const first = { kind: 'false_positive' as const, labels: { job: 'web' }, template: 'a' };
    const store = await FeedbackStore.open(file);
    await store.add(first, 60_000);
    appendFileSync(file, '{"id":"torn","kind":"false_po'); // the process died here
    const reopened = await FeedbackStore.open(file);
    expect(reopened.list()).toHaveLength(1);
    await reopened.add({ ...first, template: 'b' }, 60_000);
    const again = await FeedbackStore.open(file);
    expect(again.list().map((r) => r.template)).toEqual(['a', 'b']);
    expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
  });
});

describe('abandoned uploads', () => {
  it('a client that goes away mid-upload leaves no directory and no open file behind', async () => {
    const uploads = tc.ctx.config.uploads.dir;
    // Descriptors of this process open on files under the uploads directory (other test files share the process).
    const fds = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(uploads);
        } catch {
          return false;
        }
      }).length;
    const boundary = 'abandon';
    const head = `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="access.log"\r\ncontent-type: text/plain\r\n\r\n`;
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const req = request(`${server.url}/api/v1/uploads`, {
          method: 'POST',
          headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': '40000000' },
        });
        req.on('error', () => resolve());
        req.write(head);
        req.write(`${webLines(3_000, 10 + i).join('\n')}\n`);
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 300);
      });
    }
    for (let i = 0; i < 50 && existsSync(uploads) && readdirSync(uploads).length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(uploads) ? readdirSync(uploads) : []).toEqual([]);
    expect(fds()).toBe(0);
  });

  it('an upload left unfinished by a killed process is swept at the next start', async () => {
    const stale = join(tc.ctx.config.uploads.dir, '00000000-0000-4000-8000-000000000000');
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'records.jsonl'), '{"partial":');
    const { restRoutes } = await import('./rest/index.js');
    restRoutes(tc.ctx);
    for (let i = 0; i < 50 && existsSync(stale); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(stale)).toBe(false);
  });
});
