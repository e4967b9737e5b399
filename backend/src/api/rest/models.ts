import { Hono } from 'hono';
import { z } from 'zod';
import { parseSelector } from '../../logql/selector.js';
import type { Model } from '../../models/index.js';
import { msToNs } from '../../stream.js';
import type { AppContext } from '../../service/context.js';
import { fail, readJson } from '../http.js';
import { MODEL_NAME, NoModelError } from '../../service/registry.js';
import type { JobQueue } from './jobs.js';
import { readQuality, runTraining } from '../../service/training.js';
import type { UploadStore } from './upload-store.js';
import { DETECTOR_KINDS } from '@anomalog/contract';

const time = z
  .union([z.number(), z.iso.datetime({ offset: true })])
  .transform((t) => (typeof t === 'number' ? t : Date.parse(t)));

const trainBody = z.object({
  name: z.string().regex(MODEL_NAME, 'letters, digits, - and _ (up to 64)'),
  detector: z.enum(DETECTOR_KINDS).optional(),
  seed: z.number().int().default(42),
  maxAnomalyRate: z.number().min(0).max(1).default(0.05),
  /** The stream the model is for (whose feedback applies); default: the selector's equality matchers. */
  labels: z.record(z.string(), z.string()).optional(),
  from: z.union([
    z.object({ upload: z.uuid() }),
    z.object({
      selector: z.string().superRefine((s, c) => {
        try {
          parseSelector(s);
        } catch (err) {
          c.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }),
      /** Milliseconds since the epoch or an RFC 3339 time; default the last hour. */
      start: time.optional(),
      end: time.optional(),
    }),
  ]),
});

/** What GET /models shows of a model: where it came from, its thresholds, and how it validated. */
async function modelCard(ctx: AppContext, name: string, model: Model) {
  const templates = model.parserState.templates;
  return {
    name,
    detector: model.detector,
    members: Object.keys(model.members),
    createdAt: model.createdAt,
    format: model.format,
    trainedOn: model.trainedOn,
    params: model.params,
    thresholds: model.thresholds,
    features: model.featureSchema.names,
    templates: templates.kind === 'drain' ? templates.drain.templates.length : templates.routes.length,
    sessions: model.sessions ? { key: model.sessions.key, sessions: model.sessions.sessions } : undefined,
    quality: (await readQuality(ctx.config.models.dir, model)) ?? null,
    rollbackAvailable: await ctx.models.hasPrevious(name),
  };
}

export function modelRoutes(ctx: AppContext, deps: { jobs: JobQueue; uploads: UploadStore }): Hono {
  const { queryHours, trainLines } = ctx.config.server.limits;

  /** The training lines, where they came from, and the labels of the stream they stand for. */
  async function collect(from: z.output<typeof trainBody>['from']) {
    const lines: string[] = [];
    if ('upload' in from) {
      for await (const r of deps.uploads.records(from.upload)) {
        lines.push(r.line);
        if (lines.length >= trainLines) break;
      }
      return { lines, source: `upload:${from.upload}`, labels: { job: 'upload' } };
    }
    const end = from.end ?? Date.now();
    const start = from.start ?? end - 3_600_000;
    const selector = parseSelector(from.selector);
    for await (const e of ctx.sources.read({
      selector,
      lineFilters: [],
      start: msToNs(start),
      end: msToNs(end),
      limit: trainLines,
    })) {
      lines.push(e.line);
    }
    const labels = Object.fromEntries(selector.filter((m) => m.op === '=').map((m) => [m.name, m.value]));
    return { lines, source: from.selector, labels };
  }

  return new Hono()
    .get('/models', async (c) => {
      const names = ctx.models.names();
      return c.json({
        models: await Promise.all(names.map((n) => modelCard(ctx, n, ctx.models.get(n)!))),
        // per-stream learning: the models being learned (warming) and the learned ones followed for retraining
        learning: ctx.learner.status(),
      });
    })
    .get('/models/:name', async (c) => {
      const name = c.req.param('name');
      const model = ctx.models.get(name);
      if (!model) fail(404, `no model named "${name}" is loaded`);
      return c.json(await modelCard(ctx, name, model));
    })
    .post('/models/train', async (c) => {
      const body = await readJson(c, trainBody);
      const { from } = body;
      if ('upload' in from && !(await deps.uploads.get(from.upload))) fail(404, 'no such upload (unknown or expired)');
      if ('selector' in from) {
        const end = from.end ?? Date.now();
        const start = from.start ?? end - 3_600_000;
        if (end <= start) fail(400, 'from.end must be after from.start');
        if (end - start > queryHours * 3_600_000)
          fail(400, `time range over ${queryHours} hours (server.limits.queryHours)`);
      }
      const job = deps.jobs.start('train', async (report) => {
        report(0.01, 'reading lines');
        const input = await collect(from);
        return runTraining(
          ctx,
          input.lines,
          { ...body, labels: body.labels ?? input.labels, source: input.source },
          report,
        );
      });
      return c.json({ job: job.id, status: `/api/v1/jobs/${job.id}` }, 202);
    })
    .post('/models/:name/rollback', async (c) => {
      const name = c.req.param('name');
      try {
        const model = await ctx.models.rollback(name);
        return c.json(await modelCard(ctx, name, model));
      } catch (err) {
        if (err instanceof NoModelError) fail(404, err.message);
        throw err;
      }
    });
}
