import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testContext, type TestContext } from '../../../testkit/app.js';
import { createApp } from '../app.js';

let t: TestContext;
const logged: Record<string, unknown>[] = [];

beforeAll(async () => {
  t = await testContext({});
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  Object.assign(t.ctx, { log: pino({ level: 'info' }, out) });
});
afterAll(() => t.cleanup());

describe('Grafana webhook alerts', () => {
  it('logs the alerts of one burst (a rule grouped by anomaly_burst) as one event with their count', async () => {
    const firing = (labels: Record<string, string>) => ({
      status: 'firing',
      labels: { alertname: 'Anomalies', ...labels },
    });
    const res = await createApp(t.ctx).request('/api/v1/alerts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        status: 'firing',
        alerts: [
          firing({ anomaly_burst: '1@2024-03-01T10:25Z', anomaly_severity: 'low' }),
          firing({ anomaly_burst: '1@2024-03-01T10:25Z', anomaly_severity: 'medium' }),
          firing({ anomaly_severity: 'high' }),
          firing({ anomaly_burst: '1@2024-03-01T10:25Z', anomaly_severity: 'low' }),
        ],
      }),
    });
    expect(await res.json()).toEqual({ received: 4 });
    const alerts = logged.filter((l) => l.msg === 'alert received');
    expect(alerts.map((l) => [l.burst, l.alerts, (l.labels as Record<string, string>).anomaly_severity])).toEqual([
      ['1@2024-03-01T10:25Z', 3, 'low'],
      [undefined, undefined, 'high'],
    ]);
    const metrics = await (await createApp(t.ctx).request('/metrics')).text();
    expect(metrics).toMatch(/anomalog_alerts_received_total\{status="firing"\} 4/);
  });
});
