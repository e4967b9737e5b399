import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoredLine } from '../../types.js';
import { createApp } from '../app.js';
import { FeedbackStore, type FeedbackRecord } from '../../service/feedback.js';
import { testContext, trainWebModel, type TestContext } from '../../../testkit/app.js';
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
  it('a false positive suppresses its template for its stream only, until confirmed', async () => {
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
    expect(suppressed.reasons[0]).toMatch(/^suppressed: template marked a false positive/);
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
    expect(reopened.list().map((r) => r.kind)).toEqual(['false_positive', 'confirm']);
    expect((await app.request('/api/v1/feedback?kind=maybe')).status).toBe(400);
  });

  it('refuses feedback without a stream or template', async () => {
    const res = await post('/api/v1/feedback', { kind: 'false_positive', labels: { job: 'web' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/template/);
  });

  it('feeds training: confirmed lines left out, false positives added as normal', () => {
    const at = new Date().toISOString();
    const feedback: FeedbackRecord[] = [
      { id: '1', at, kind: 'confirm', labels: {}, template: 't', line: 'bad' },
      { id: '2', at, kind: 'false_positive', labels: {}, template: 't', line: 'odd but fine' },
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
    expect(stats.linesScored).toBe(4);
    expect(stats.bySeverity.normal).toBe(1);
    expect(stats.alertsReceived).toBe(2);
    expect(stats.feedback).toEqual({ falsePositives: 1, confirmed: 1 });
  });
});
