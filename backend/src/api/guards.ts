import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
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

/**
 * 413 for a request body over `maxBytes` (uploads have their own limit and skip this). A declared Content-Length is
 * checked without touching the body, which keeps @hono/node-server's fast body path; a chunked body is counted.
 */
export function limitBody(maxBytes: number, skip: (path: string) => boolean): MiddlewareHandler {
  const tooLarge = (c: Context) =>
    c.json({ error: `request body over ${maxBytes} bytes (server.limits.bodyBytes)` }, 413);
  const counted = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || skip(c.req.path)) return next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding')) return counted(c, next);
    return Number(length) > maxBytes ? tooLarge(c) : next();
  };
}
