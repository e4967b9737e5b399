import { Hono } from 'hono';
import { z } from 'zod';
import type { FormatName } from '../../types.js';
import type { AppContext } from '../../service/context.js';
import { fail, readJson } from '../http.js';
import { fieldTime, rebuildLine, type LogFields } from './rebuild-line.js';
import { Summary } from '../../pipeline/index.js';
import { openScorer, type ScoreTarget } from './scoring.js';
import { DETECTOR_KINDS } from '@anomalog/contract';

const fieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const timestamp = z.union([z.number(), z.string()]);

/** A line as text, or as the seeds' field object (`message` plus log fields), which is rebuilt into a line. */
const lineItem = z.union([
  z.string(),
  z.object({ line: z.string(), ts: timestamp.optional() }),
  z.record(z.string(), fieldValue).refine((f) => 'message' in f, { message: 'give "line", or "message" with fields' }),
]);

const target = {
  labels: z.record(z.string(), z.string()).optional(),
  model: z.string().min(1).optional(),
  detector: z.enum(DETECTOR_KINDS).optional(),
};
const single = z
  .looseObject({ line: z.string().optional(), ts: timestamp.optional(), message: fieldValue.optional(), ...target })
  .refine((b) => b.line !== undefined || b.message !== undefined, { message: 'give "line", or "message" with fields' });
const batch = z.object({ lines: z.array(lineItem), ...target });

type Item = z.output<typeof lineItem>;

function toMillis(ts: unknown): number | undefined {
  const ms = typeof ts === 'number' ? ts : typeof ts === 'string' ? Date.parse(ts) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

export function analyzeRoutes(ctx: AppContext): Hono {
  const { lineBytes, batchLines } = ctx.config.server.limits;

  /** The raw line and timestamp of an item; field objects are written in the format the model reads. */
  function lineOf(item: Item, format: FormatName, where: string): { raw: string; ts?: number } {
    const line =
      typeof item === 'string'
        ? { raw: item }
        : typeof item.line === 'string'
          ? { raw: item.line, ts: toMillis(item.ts) }
          : { raw: rebuildLine(item as LogFields, format), ts: fieldTime(item as LogFields)?.getTime() };
    if (Buffer.byteLength(line.raw) > lineBytes)
      fail(413, `${where} is over ${lineBytes} bytes (server.limits.lineBytes)`);
    return line;
  }

  function score(items: Item[], target: ScoreTarget) {
    const labelSet = target.labels ?? {};
    const model = target.model ?? ctx.models.route(labelSet).model;
    const scorer = openScorer(ctx, { ...target, labels: labelSet, model });
    const format = ctx.models.get(model)?.format ?? 'generic';
    const lines = items.map((item, i) => lineOf(item, format, items.length === 1 ? 'the line' : `lines[${i}]`));
    const records = scorer.pushBatch(
      lines.map((l) => l.raw),
      lines.map((l) => l.ts),
    );
    return records.concat(scorer.end());
  }

  return new Hono()
    .post('/analyze', async (c) => {
      const body = await readJson(c, single);
      const { labels, model, detector, ...item } = body;
      const [record] = score([item as Item], { labels, model, detector });
      return record ? c.json(record) : fail(422, 'the line produced no record to return');
    })
    .post('/analyze/batch', async (c) => {
      const body = await readJson(c, batch);
      if (body.lines.length > batchLines) {
        fail(413, `batch of ${body.lines.length} lines is over ${batchLines} (server.limits.batchLines)`);
      }
      const records = score(body.lines, body);
      const summary = new Summary();
      for (const r of records) summary.add(r);
      return c.json({ records, summary: summary.counts() });
    });
}
