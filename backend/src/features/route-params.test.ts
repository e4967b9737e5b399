import { describe, expect, it } from 'vitest';
import { RouteParams, RouteParamsBuilder } from './route-params.js';

/** A route's training queries: `requests` of them, cycling through `queries`. */
function learnt(requests: number, queries: string[], extra: [number, string][] = []) {
  const b = new RouteParamsBuilder();
  for (let i = 0; i < requests; i++) b.observe(1, queries[i % queries.length]);
  for (const [route, q] of extra) b.observe(route, q);
  return b.finish();
}

describe('RouteParams', () => {
  it('names a parameter its route never took, and not one it took', () => {
    const params = new RouteParams(learnt(300, ['q=shoes&page=2', 'q=hats', '']));
    expect(params.unseen(1, 'GET /search', 'q=boots&page=3')).toBeUndefined();
    expect(params.unseen(1, 'GET /search', 'page=1&XDEBUG_SESSION_START=phpstorm')).toBe(
      'query parameter "XDEBUG_SESSION_START" never seen on route GET /search (300 training requests)',
    );
    // a name without a value is a name too
    expect(params.unseen(1, 'GET /search', 'q=x&debug')).toMatch(/"debug"/);
    expect(params.unseen(1, 'GET /search', '')).toBeUndefined();
  });

  it('learns no name from one request (a self-trained file may hold the probe itself)', () => {
    const params = new RouteParams(learnt(300, ['q=a'], [[1, 'cmd=id']]));
    expect(params.unseen(1, 'GET /', 'cmd=whoami')).toMatch(/"cmd"/);
  });

  it('judges no route with few training requests, nor one whose names are data', () => {
    expect(new RouteParams(learnt(99, ['q=a'])).unseen(1, 'GET /', 'x=1')).toBeUndefined();
    const busters = Array.from({ length: 40 }, (_, i) => `${1_700_000_000 + i}`);
    expect(new RouteParams(learnt(400, busters)).unseen(1, 'GET /app.js', '1800000000')).toBeUndefined();
    // a route training never saw (id -1) and one without a closed set are not judged
    expect(new RouteParams(learnt(300, ['q=a'])).unseen(-1, 'GET /new', 'x=1')).toBeUndefined();
    expect(new RouteParams(learnt(300, ['q=a'])).unseen(2, 'GET /other', 'x=1')).toBeUndefined();
  });

  it('reads at most 64 names of a query, in one pass however it is built', () => {
    const params = new RouteParams(learnt(300, ['q=a']));
    expect(params.unseen(1, 'GET /', `${'q=1&'.repeat(64)}evil=1`)).toBeUndefined();
    expect(params.unseen(1, 'GET /', `${'q=1&'.repeat(63)}evil=1`)).toMatch(/"evil"/);
    // no `=` after the first name: the names are the parts between `&`
    expect(params.unseen(1, 'GET /', `q=1&${'&'.repeat(100_000)}x`)).toBeUndefined();
    expect(params.unseen(1, 'GET /', `q=1&&x&y=2`)).toMatch(/"x"/);
  });

  it('round-trips through the model file as JSON', () => {
    const state = learnt(200, ['a=1&b=2']);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(new RouteParams(JSON.parse(JSON.stringify(state))).unseen(1, 'GET /', 'a=1&c=3')).toMatch(/"c"/);
  });
});
