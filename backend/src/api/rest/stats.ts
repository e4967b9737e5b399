import { Hono } from 'hono';
import type { AppContext } from '../../service/context.js';
import type { JobQueue } from './jobs.js';
import type { UploadStore } from './upload-store.js';

/** A JSON digest of what the service has done since it started. */
export function statsRoutes(ctx: AppContext, deps: { jobs: JobQueue; uploads: UploadStore }): Hono {
  return new Hono().get('/stats', async (c) => {
    const bySeverity: Record<string, number> = {};
    for (const { labels, value } of (await ctx.metrics.linesScored.get()).values) {
      const severity = String(labels.severity);
      bySeverity[severity] = (bySeverity[severity] ?? 0) + value;
    }
    const alerts = (await ctx.metrics.alertsReceived.get()).values.reduce((sum, v) => sum + v.value, 0);
    const feedback = ctx.models.feedback.list();
    return c.json({
      uptimeSeconds: Math.round(process.uptime()),
      models: ctx.models.names(),
      linesScored: Object.values(bySeverity).reduce((a, b) => a + b, 0),
      bySeverity,
      uploads: await deps.uploads.sweep(),
      feedback: {
        falsePositives: feedback.filter((f) => f.kind === 'false_positive').length,
        confirmed: feedback.filter((f) => f.kind === 'confirm').length,
      },
      alertsReceived: alerts,
      jobs: deps.jobs.list().map(({ id, kind, state, progress }) => ({ id, kind, state, progress })),
    });
  });
}
