/**
 * Route templates for web requests: `GET /products/<*>` for `GET /products/8812`. Identifier-like path segments
 * (numbers, hex, UUIDs, long tokens with digits, emails) become `<*>`, and so do the numbers and hashes inside other
 * segments (`p1427.jpg` -> `p<*>.jpg`); the query is not part of the route.
 */
const ID_SEGMENT =
  /^(?:\d+|[0-9a-f]{8,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?=[^/]*\d)[\w.~-]{16,}|[^/]*@[^/]*)$/i;
const ID_INSIDE = /(?=[0-9a-f]*\d)[0-9a-f]{8,}|\d+/gi;
const MAX_SEGMENTS = 12;
const MAX_ROUTE = 200;

export function routeOf(method: string, path: string): string {
  return `${method} ${routePath(path)}`;
}

/** The path part of a route. A path without identifiers is its own route: the same string when short enough. */
export function routePath(path: string): string {
  if (!mayHoldIdentifier(path)) return path.length > MAX_ROUTE ? path.slice(0, MAX_ROUTE) : path;
  const segments = path.split('/', MAX_SEGMENTS + 1);
  for (let i = 0; i < segments.length; i++) {
    segments[i] = ID_SEGMENT.test(segments[i]) ? '<*>' : segments[i].replace(ID_INSIDE, '<*>');
  }
  if (segments.length > MAX_SEGMENTS) segments[MAX_SEGMENTS] = '…';
  const route = segments.join('/');
  return route.length > MAX_ROUTE ? route.slice(0, MAX_ROUTE) : route;
}

/** Whether /\d|@|[a-f0-9]{8}/i matches: a digit, an '@', or a run of 8 hex letters (scanned by hand, once per line). */
function mayHoldIdentifier(path: string): boolean {
  let hexRun = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 64) return true;
    const lower = c | 32;
    hexRun = lower >= 97 && lower <= 102 ? hexRun + 1 : 0;
    if (hexRun === 8) return true;
  }
  return false;
}
