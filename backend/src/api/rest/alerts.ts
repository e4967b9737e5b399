import { ANOMALY_FIELDS } from '@anomalog/contract';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppContext } from '../../service/context.js';
import { readJson } from '../http.js';

/** The parts of Grafana's webhook contact point payload we log; the rest is accepted as is. */
const notification = z.looseObject({
  receiver: z.string().optional(),
  status: z.string().default('unknown'),
  alerts: z
    .array(
      z.looseObject({
        status: z.string().optional(),
        labels: z.record(z.string(), z.string()).default({}),
        annotations: z.record(z.string(), z.string()).default({}),
        startsAt: z.string().optional(),
      }),
    )
    .default([]),
});

/**
 * A Grafana webhook contact point: each alert is counted in anomalog_alerts_received_total and logged, the alerts of
 * one burst (a rule grouping by `anomaly_burst`) as one event with their count.
 */
export function alertRoutes(ctx: AppContext): Hono {
  return new Hono().post('/alerts', async (c) => {
    const body = await readJson(c, notification);
    const events = new Map<string, { alert: (typeof body.alerts)[number]; status: string; alerts: number }>();
    body.alerts.forEach((alert, i) => {
      const status = alert.status ?? body.status;
      // A fixed set: the status is the sender's to choose, and a label value is never.
      ctx.metrics.alertsReceived.inc({ status: status === 'firing' || status === 'resolved' ? status : 'other' });
      const burst = alert.labels[ANOMALY_FIELDS.burst];
      const key = burst === undefined ? String(i) : `${status} ${burst}`;
      const event = events.get(key);
      if (event) event.alerts++;
      else events.set(key, { alert, status, alerts: 1 });
    });
    for (const { alert, status, alerts } of events.values()) {
      const { labels, annotations } = alert;
      const burst = labels[ANOMALY_FIELDS.burst];
      ctx.log.warn(
        { alert: labels.alertname, status, labels, summary: annotations.summary, ...(burst && { burst, alerts }) },
        'alert received',
      );
    }
    return c.json({ received: body.alerts.length });
  });
}
