import { Hono } from 'hono';
import { z } from 'zod';
import { duration } from '../../config/schema.js';
import type { AppContext } from '../../service/context.js';
import { FeedbackFullError } from '../../service/feedback.js';
import { fail, readJson, readQuery } from '../http.js';
import { MAX_LINE_CHARS, SEVERITIES } from '@anomalog/contract';

const kind = z.enum(['false_positive', 'confirm']);
const YEAR_MS = 365 * 86_400_000;

const feedbackBody = z.object({
  kind,
  labels: z.record(z.string(), z.string()),
  template: z.string().min(1),
  line: z.string().max(MAX_LINE_CHARS).optional(),
  score: z.number().min(0).max(1).optional(),
  severity: z.enum(SEVERITIES).optional(),
  detector: z.string().optional(),
  note: z.string().max(2_000).optional(),
  /** How long the record changes severities (default feedback.ttl); at most a year. */
  ttl: duration.pipe(z.number().positive().max(YEAR_MS, 'at most 365d')).optional(),
});

const listQuery = z.object({ kind: kind.optional(), current: z.enum(['true', 'false']).optional() });

/**
 * Feedback: POST a record, list them, undo one. Mounted under /api/v1 and, for the Grafana panel, under
 * /loki/api/v1/anomalog, a path Grafana's data source proxy forwards to a Loki-type data source.
 */
export function feedbackRoutes(ctx: AppContext): Hono {
  const store = ctx.models.feedback;
  return new Hono()
    .post('/feedback', async (c) => {
      const { ttl, ...input } = await readJson(c, feedbackBody);
      const record = await store.add(input, ttl ?? ctx.config.feedback.ttl).catch((err: unknown) => {
        if (err instanceof FeedbackFullError) fail(429, err.message);
        throw err;
      });
      ctx.log.info({ feedback: record.id, kind: record.kind, template: record.template }, 'feedback recorded');
      return c.json({ ...record, active: true }, 201);
    })
    .get('/feedback', (c) => {
      const q = readQuery(c, listQuery);
      return c.json({ records: store.list({ kind: q.kind, current: q.current === 'true' }) });
    })
    .post('/feedback/:id/undo', async (c) => {
      const undone = await store.undo(c.req.param('id'));
      if (!undone) fail(404, 'no such feedback record, or it was undone already');
      ctx.log.info({ feedback: undone.id }, 'feedback undone');
      return c.json(undone);
    });
}
