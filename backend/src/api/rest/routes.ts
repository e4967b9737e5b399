import { Hono } from 'hono';
import type { AppContext } from '../../service/context.js';
import { alertRoutes } from './alerts.js';
import { analyzeRoutes } from './analyze.js';
import { feedbackRoutes } from './feedback.js';
import { JobQueue, jobRoutes } from './jobs.js';
import { modelRoutes } from './models.js';
import { statsRoutes } from './stats.js';
import { UploadStore } from './upload-store.js';
import { uploadRoutes } from './uploads.js';

/** The REST API, mounted at /api/v1. */
export function restRoutes(ctx: AppContext): Hono {
  const deps = {
    uploads: new UploadStore(ctx.config.uploads.dir, ctx.config.uploads.ttl),
    jobs: new JobQueue(ctx.log),
  };
  // Uploads a previous process left unfinished (killed mid-upload) or expired meanwhile go at start.
  deps.uploads.sweep().catch((err: Error) => ctx.log.warn({ err: err.message }, 'cannot sweep old uploads'));
  return new Hono()
    .route('/', analyzeRoutes(ctx))
    .route('/', uploadRoutes(ctx, deps))
    .route('/', modelRoutes(ctx, deps))
    .route('/', jobRoutes(deps.jobs))
    .route('/', feedbackRoutes(ctx))
    .route('/', alertRoutes(ctx))
    .route('/', statsRoutes(ctx, deps));
}
