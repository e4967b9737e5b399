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

/** A Grafana webhook contact point: each alert is logged and counted in anomalog_alerts_received_total. */
export function alertRoutes(ctx: AppContext): Hono {
  return new Hono().post('/alerts', async (c) => {
    const body = await readJson(c, notification);
    for (const alert of body.alerts) {
      const status = alert.status ?? body.status;
      // A fixed set: the status is the sender's to choose, and a label value is never.
      ctx.metrics.alertsReceived.inc({ status: status === 'firing' || status === 'resolved' ? status : 'other' });
      const { labels, annotations } = alert;
      ctx.log.warn({ alert: labels.alertname, status, labels, summary: annotations.summary }, 'alert received');
    }
    return c.json({ received: body.alerts.length });
  });
}
