import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import type { AppContext } from '../service/context.js';
import { isDiskError } from '../durable.js';
import { redactSecrets } from '../sources/redact.js';
import { limitBody, requireToken } from './guards.js';
import { lokiRoutes } from './loki/index.js';
import { feedbackRoutes } from './rest/feedback.js';
import { healthRoutes } from './rest/health.js';
import { restRoutes } from './rest/index.js';

const STANDALONE_DIR = fileURLToPath(new URL('../../../plugin/dist-standalone', import.meta.url));

export interface AppOptions {
  /** The built standalone page; served at / when it holds an index.html. */
  staticDir?: string;
}

const DISK_WHY: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  EIO: 'an I/O error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
};

/** A disk error as a client may read it: what failed and why, without the server's paths. */
function diskErrorMessage(err: NodeJS.ErrnoException): string {
  return `the server could not write its data (${DISK_WHY[err.code ?? ''] ?? err.code}, ${err.code} on ${err.syscall ?? 'write'}); nothing was stored, try again later`;
}

const API_PATH = /^\/(api|loki|detectors|metrics)(\/|$)/;

/**
 * The built standalone page (when it is there), open without a token: it is public code, and it asks the user for
 * the token it then sends to the API.
 */
function standalonePage(dir: string): MiddlewareHandler | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const files = serveStatic({ root: dir });
  return (c, next) => (c.req.method === 'GET' && !API_PATH.test(c.req.path) ? files(c, next) : next());
}

/** The whole HTTP surface: Loki-compatible API, REST under /api/v1, /metrics, /health, /ready, the standalone page. */
export function createApp(ctx: AppContext, opts: AppOptions = {}): Hono {
  const { server } = ctx.config;
  const app = new Hono();

  app.use('*', async (c, next) => {
    const start = performance.now();
    await next();
    const seconds = (performance.now() - start) / 1000;
    const route = routePath(c);
    ctx.metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    ctx.metrics.httpSeconds.observe({ method: c.req.method, route }, seconds);
    ctx.log.debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms: seconds * 1000 }, 'request');
  });
  app.use(
    '*',
    cors({
      origin: server.cors.includes('*') ? '*' : server.cors,
      allowHeaders: ['Authorization', 'Content-Type', 'X-Scope-OrgID', 'X-Loki-Response-Encoding-Flags'],
    }),
  );

  app.route('/', healthRoutes(ctx));
  const page = standalonePage(opts.staticDir ?? STANDALONE_DIR);
  if (page) app.use('/*', page);
  app.use('*', requireToken(server.token));
  app.use(
    '*',
    limitBody(server.limits.bodyBytes, (path) => path.startsWith('/api/v1/uploads')),
  );

  app.get('/metrics', async (c) => {
    c.header('Content-Type', ctx.metrics.registry.contentType);
    return c.body(await ctx.metrics.registry.metrics());
  });
  app.route('/api/v1', restRoutes(ctx));
  // The Grafana panel's feedback goes through Grafana's data source proxy, which forwards paths below the Loki data
  // source's URL: /api/datasources/proxy/uid/<uid>/loki/api/v1/anomalog/feedback.
  app.route('/loki/api/v1/anomalog', feedbackRoutes(ctx));
  app.route('/', lokiRoutes(ctx));
  app.route('/detectors/:detector', lokiRoutes(ctx));

  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500)
      return c.json({ error: redactSecrets(err.message) }, err.status);
    if (isDiskError(err)) {
      // The disk, not the request: say so (507), keep serving; the client may retry once space is back.
      const message = diskErrorMessage(err as NodeJS.ErrnoException);
      ctx.log.error({ err: message, method: c.req.method, path: c.req.path }, 'request failed on the disk');
      return c.json({ error: message }, 507);
    }
    ctx.log.error({ err, method: c.req.method, path: c.req.path }, 'request failed');
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}
