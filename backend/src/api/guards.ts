import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * Bearer token check (`Authorization: Bearer <token>`); an empty token turns it off. Routes registered before it
 * (/health, /ready) stay open.
 */
export function requireToken(token: string): MiddlewareHandler {
  const expected = Buffer.from(`Bearer ${token}`);
  return async (c, next) => {
    if (!token || c.req.method === 'OPTIONS') return next();
    const given = Buffer.from(c.req.header('authorization') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      c.header('WWW-Authenticate', 'Bearer realm="anomalog"');
      return c.json({ error: 'missing or wrong bearer token' }, 401);
    }
    return next();
  };
}

/** 413 for a request body over `maxBytes` (uploads have their own limit and skip this). */
export function limitBody(maxBytes: number, skip: (path: string) => boolean): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      c.json({ error: `request body over ${maxBytes} bytes (server.limits.bodyBytes)` }, 413),
  });
  return (c, next) => (skip(c.req.path) ? next() : limit(c, next));
}
