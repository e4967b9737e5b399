import { Hono } from 'hono';
import type { AppContext } from '../../service/context.js';
import { redactSecrets } from '../../sources/redact.js';

const PROBE_MS = 2_000;

async function sourcesReachable(ctx: AppContext): Promise<{ reachable: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_MS} ms`)), PROBE_MS);
  });
  try {
    await Promise.race([ctx.sources.streams(), timeout]);
    return { reachable: true };
  } catch (err) {
    return { reachable: false, error: redactSecrets((err as Error).message) };
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness and readiness; mounted before the token check, so probes need no token. */
export function healthRoutes(ctx: AppContext): Hono {
  const defaultLoaded = () => ctx.models.get(ctx.config.defaults.model) !== undefined;
  return new Hono()
    .get('/health', async (c) =>
      c.json({
        status: 'ok',
        models: { loaded: ctx.models.names(), default: ctx.config.defaults.model, defaultLoaded: defaultLoaded() },
        sources: { name: ctx.sources.name, ...(await sourcesReachable(ctx)) },
      }),
    )
    .get('/ready', (c) =>
      defaultLoaded()
        ? c.text('ready')
        : c.text(`not ready: default model "${ctx.config.defaults.model}" is not loaded`, 503),
    );
}
