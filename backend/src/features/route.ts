/**
 * Route templates for web requests: `GET /products/<*>` for `GET /products/8812`. Identifier-like path segments
 * (numbers, hex, UUIDs, long tokens with digits, emails) become `<*>`, and so do the numbers and hashes inside other
 * segments (`p1427.jpg` -> `p<*>.jpg`); the query is not part of the route.
 */
const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?=[^/]*\d)[\w.~-]{16,}|[^/]*@[^/]*)$/i;
const ID_INSIDE = /(?=[0-9a-f]*\d)[0-9a-f]{8,}|\d+/gi;
const MAX_SEGMENTS = 12;

export function routeOf(method: string, path: string): string {
  if (!/\d|@|[a-f0-9]{8}/i.test(path)) return `${method} ${path.length > 200 ? path.slice(0, 200) : path}`;
  const segments = path.split('/', MAX_SEGMENTS + 1);
  for (let i = 0; i < segments.length; i++) {
    segments[i] = ID_SEGMENT.test(segments[i]) ? '<*>' : segments[i].replace(ID_INSIDE, '<*>');
  }
  if (segments.length > MAX_SEGMENTS) segments[MAX_SEGMENTS] = '…';
  const route = segments.join('/');
  return `${method} ${route.length > 200 ? route.slice(0, 200) : route}`;
}
