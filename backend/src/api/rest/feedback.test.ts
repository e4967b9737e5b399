import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoredLine } from '../../types.js';
import { createApp } from '../app.js';
import { join } from 'node:path';
import { FeedbackFullError, FeedbackStore, type FeedbackRecord } from '../../service/feedback.js';
import { testContext, trainWebModel, webLines, type TestContext } from '../../../testkit/app.js';
import { applyFeedback } from '../../service/training.js';

let t: TestContext;
let app: Hono;

const ATTACK =
  '203.0.113.9 - - [01/Mar/2024:00:10:00 +0000] "GET /cgi-bin/../../../../etc/passwd HTTP/1.1" 500 0 "-" "sqlmap/1.7.2#stable (https://sqlmap.org)" rt=4.900';

beforeAll(async () => {
  t = await testContext({ web: await trainWebModel() });
  app = createApp(t.ctx);
});
afterAll(() => t.cleanup());

const post = (path: string, body: unknown) =>
  app.request(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
const analyze = async (labels: Record<string, string>) =>
  (await (await post('/api/v1/analyze', { line: ATTACK, labels })).json()) as ScoredLine;

describe('feedback', () => {
  it('a false positive suppresses its template for its stream only, until a newer confirmation', async () => {
    const first = await analyze({ job: 'web' });
    expect(first.anomaly).toBe(true);

    const res = await post('/api/v1/feedback', {
      kind: 'false_positive',
      labels: { job: 'web', anomaly_severity: first.severity },
      template: first.template,
      line: ATTACK,
      score: first.score,
    });
    expect(res.status).toBe(201);
    const record = (await res.json()) as FeedbackRecord;
    expect(record.id).toMatch(/^[0-9a-f-]{36}$/);

    const suppressed = await analyze({ job: 'web' });
    expect(suppressed).toMatchObject({ anomaly: false, severity: 'normal', score: first.score });
    expect(suppressed.reasons[0]).toMatch(/^suppressed: template marked not an anomaly for this stream until 20/);
    expect((await analyze({ job: 'shop' })).anomaly).toBe(true);

    await post('/api/v1/feedback', { kind: 'confirm', labels: { job: 'web' }, template: first.template });
    expect((await analyze({ job: 'web' })).anomaly).toBe(true);
  });

  it('persists to JSON lines and lists with a filter', async () => {
    const list = (await (await app.request('/api/v1/feedback?kind=false_positive')).json()) as {
      records: FeedbackRecord[];
    };
    expect(list.records).toHaveLength(1);
    const reopened = await FeedbackStore.open(t.ctx.config.feedback.file);
    expect(reopened.list().map((r) => [r.kind, r.active])).toEqual([
      ['false_positive', true],
      ['confirm', true],
    ]);
    expect((await app.request('/api/v1/feedback?kind=maybe')).status).toBe(400);
  });

  it('expires, and can be undone durably: the undo is a record of its own', async () => {
    const labels = { job: 'expiring' };
    const { template } = await analyze(labels);
    const short = await post('/api/v1/feedback', { kind: 'false_positive', labels, template, ttl: '1s' });
    const shortRecord = (await short.json()) as FeedbackRecord;
    expect(Date.parse(shortRecord.expiresAt!) - Date.parse(shortRecord.at)).toBe(1000);
    expect((await analyze(labels)).anomaly).toBe(false);
    await new Promise((r) => setTimeout(r, Date.parse(shortRecord.expiresAt!) - Date.now() + 50));
    expect((await analyze(labels)).anomaly).toBe(true);

    const res = await post('/api/v1/feedback', { kind: 'false_positive', labels, template });
    const { id, expiresAt } = (await res.json()) as FeedbackRecord;
    expect(Date.parse(expiresAt!) - Date.now()).toBeGreaterThan(6 * 86_400_000); // feedback.ttl: 7 days
    expect((await analyze(labels)).anomaly).toBe(false);
    const undo = await post(`/api/v1/feedback/${id}/undo`, {});
    expect(undo.status).toBe(200);
    expect(await undo.json()).toMatchObject({ id, active: false, undoneAt: expect.any(String) });
    expect((await analyze(labels)).anomaly).toBe(true);
    expect((await post(`/api/v1/feedback/${id}/undo`, {})).status).toBe(404);

    const reopened = await FeedbackStore.open(t.ctx.config.feedback.file);
    const mine = reopened.list().filter((r) => r.labels.job === 'expiring');
    expect(mine.map((r) => r.active)).toEqual([false]); // the expired one; the undone one is let go
    expect(reopened.kept().filter((r) => r.labels.job === 'expiring')).toHaveLength(1);
    expect(reopened.apply({ ...(await analyze(labels)), labels }).anomaly).toBe(true);
  });

  it('"anomaly" on a normal line flags its template for its stream, until undone', async () => {
    const labels = { job: 'confirming' };
    const normalLine = webLines(50, 4)[0];
    const score = async () =>
      (await (await post('/api/v1/analyze', { line: normalLine, labels })).json()) as ScoredLine;
    const before = await score();
    expect(before.anomaly).toBe(false);
    const res = await post('/api/v1/feedback', { kind: 'confirm', labels, template: before.template });
    expect(await score()).toMatchObject({ anomaly: true, severity: 'medium', score: before.score });
    expect((await score()).reasons[0]).toMatch(/^confirmed: template marked an anomaly for this stream until/);
    await post(`/api/v1/feedback/${((await res.json()) as FeedbackRecord).id}/undo`, {});
    expect((await score()).anomaly).toBe(false);
  });

  it("takes feedback under the Loki API path that Grafana's data source proxy forwards", async () => {
    const labels = { job: 'proxied', service_name: 'proxied', anomaly_severity: 'high' };
    const { template } = await analyze({ job: 'proxied' });
    const res = await post('/loki/api/v1/anomalog/feedback', { kind: 'false_positive', labels, template });
    expect(res.status).toBe(201);
    expect((await analyze({ job: 'proxied' })).anomaly).toBe(false);
    const { id } = (await res.json()) as FeedbackRecord;
    expect((await post(`/loki/api/v1/anomalog/feedback/${id}/undo`, {})).status).toBe(200);
    expect((await analyze({ job: 'proxied' })).anomaly).toBe(true);
  });

  it('holds a bounded number of bytes of records: more is refused until some are undone, which frees them', async () => {
    const file = join(t.dir, 'bounded-feedback.jsonl');
    const store = await FeedbackStore.open(file, 2_000);
    const input = { kind: 'false_positive' as const, labels: { job: 'web' }, template: 'x'.repeat(600) };
    const first = await store.add(input, 60_000);
    await store.add(input, 60_000);
    await expect(store.add(input, 60_000)).rejects.toThrow(FeedbackFullError);
    await store.undo(first.id);
    await store.add(input, 60_000);
    expect((await FeedbackStore.open(file, 2_000)).list()).toHaveLength(2);
  });

  it('refuses feedback without a stream or template', async () => {
    const res = await post('/api/v1/feedback', { kind: 'false_positive', labels: { job: 'web' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/template/);
  });

  it('feeds training: confirmed lines left out, false positives added as normal', () => {
    const at = new Date().toISOString();
    const feedback: FeedbackRecord[] = [
      { id: '1', at, expiresAt: at, kind: 'confirm', labels: {}, template: 't', line: 'bad' },
      { id: '2', at, expiresAt: at, kind: 'false_positive', labels: {}, template: 't', line: 'odd but fine' },
    ];
    const fed = applyFeedback(['a', 'bad', 'b', 'bad'], feedback);
    expect(fed.excludedConfirmed).toBe(2);
    expect(fed.addedFalsePositives).toBe(1);
    expect(fed.lines.filter((l) => l === 'bad')).toHaveLength(0);
    expect(fed.lines.filter((l) => l === 'odd but fine').length).toBeGreaterThan(1);
    expect(fed.lines.slice(0, 2)).toEqual(['a', 'b']);
  });
});

describe('alerts and stats', () => {
  it('logs and counts Grafana webhook alerts', async () => {
    const res = await post('/api/v1/alerts', {
      receiver: 'anomalog',
      status: 'firing',
      alerts: [
        { status: 'firing', labels: { alertname: 'HighAnomalies' }, annotations: { summary: 'many' } },
        { status: 'resolved', labels: { alertname: 'HighAnomalies' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 2 });
    const metrics = await (await app.request('/metrics')).text();
    expect(metrics).toMatch(/anomalog_alerts_received_total\{status="firing"\} 1/);
    expect(metrics).toMatch(/anomalog_alerts_received_total\{status="resolved"\} 1/);
    expect((await post('/api/v1/alerts', { alerts: 'no' })).status).toBe(400);
  });

  it('sums up what was scored', async () => {
    const stats = (await (await app.request('/api/v1/stats')).json()) as {
      models: string[];
      linesScored: number;
      bySeverity: Record<string, number>;
      alertsReceived: number;
      feedback: { falsePositives: number; confirmed: number };
    };
    expect(stats.models).toEqual(['web']);
    expect(stats.linesScored).toBe(17);
    expect(stats.bySeverity.normal).toBe(6);
    expect(stats.alertsReceived).toBe(2);
    expect(stats.feedback).toEqual({ falsePositives: 2, confirmed: 1 }); // the records not undone
  });
});
