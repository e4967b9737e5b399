import { Hono } from 'hono';
import { z } from 'zod';
import type { AppContext } from '../../service/context.js';
import { readJson, readQuery } from '../http.js';
import { SEVERITIES } from '@anomalog/contract';

const kind = z.enum(['false_positive', 'confirm']);

const feedbackBody = z.object({
  kind,
  labels: z.record(z.string(), z.string()),
  template: z.string().min(1),
  line: z.string().max(65_536).optional(),
  score: z.number().min(0).max(1).optional(),
  severity: z.enum(SEVERITIES).optional(),
  detector: z.string().optional(),
  note: z.string().max(2_000).optional(),
});

export function feedbackRoutes(ctx: AppContext): Hono {
  const store = ctx.models.feedback;
  return new Hono()
    .post('/feedback', async (c) => {
      const record = await store.add(await readJson(c, feedbackBody));
      ctx.log.info({ feedback: record.id, kind: record.kind, template: record.template }, 'feedback recorded');
      return c.json(record, 201);
    })
    .get('/feedback', (c) => {
      const q = readQuery(c, z.object({ kind: kind.optional() }));
      return c.json({ records: store.list(q) });
    });
}
