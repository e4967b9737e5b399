import { describe, expect, it } from 'vitest';
import { ClientWindows } from './client-window.js';
import { PopulationBuilder, PopulationWatch } from './population.js';

/** The builder fed as WebBaselineBuilder feeds it: after the client's window has counted the request. */
const windows = new ClientWindows();
function observe(
  b: PopulationBuilder,
  ip: string,
  ua: string,
  route: number,
  method: string,
  status: number,
  ts: number,
  path = `/r/${route}`,
): void {
  windows.add(ip, ts, status >= 400);
  windows.tag = 0; // a fresh builder per test: forget the entity a former one kept with the client
  b.observe(windows, ip, ua, route, method, path, status, ts);
}

/** A crowd of `clients` browsing `routes` common routes, `each` requests apiece, one per 10 s. */
function crowd(b: PopulationBuilder, clients: number, each: number, routes = 12): void {
  for (let c = 0; c < clients; c++) {
    for (let k = 0; k < each; k++) {
      const route = (c * 7 + k * 3) % routes;
      observe(
        b,
        `10.0.${c >> 8}.${c & 255}`,
        'Mozilla/5.0 browser',
        route,
        route === 5 ? 'POST' : 'GET',
        k % 17 === 0 ? 404 : 200,
        k * 10_000 + c,
      );
    }
  }
}

describe('population analysis of clients', () => {
  it('finds a client that sends 5% of all requests to routes no other client asks for', () => {
    const b = new PopulationBuilder();
    crowd(b, 200, 30);
    // 6,000 crowd requests; the scanner's 316 are 5% of all.
    for (let k = 0; k < 316; k++)
      observe(
        b,
        '192.0.2.7',
        'Mozilla/5.0 browser',
        100 + (k % 40),
        k % 3 ? 'POST' : 'GET',
        k % 2 ? 303 : 500,
        k * 200,
      );
    const state = b.finish();
    expect(state.outliers.map((o) => o.ip)).toEqual(['192.0.2.7']);
    expect(state.outliers[0].reason).toMatch(
      /^client 192\.0\.2\.7 made 5% of all requests \(316\), 100% to routes no other client requested, 66% POST, 50% HTTP 5xx/,
    );
  });

  it('finds a heavy client far from the crowd in its behaviour, and leaves a heavy ordinary one alone', () => {
    const b = new PopulationBuilder();
    crowd(b, 200, 30);
    // Heavy and ordinary: the crowd's routes and mix, ten times the requests.
    for (let k = 0; k < 300; k++)
      observe(
        b,
        '10.9.9.9',
        'Mozilla/5.0 browser',
        (k * 3) % 12,
        (k * 3) % 12 === 5 ? 'POST' : 'GET',
        k % 17 === 0 ? 404 : 200,
        k * 10_000,
      );
    // Heavy, on common routes, but all POSTs answered with errors.
    for (let k = 0; k < 300; k++) observe(b, '198.51.100.4', 'Mozilla/5.0 browser', k % 12, 'POST', 500, k * 1_000);
    const state = b.finish();
    expect(state.outliers.map((o) => o.ip)).toEqual(['198.51.100.4']);
    expect(state.outliers[0].reason).toContain('100% POST');
  });

  it('leaves alone a client that polls an endpoint of its own, and a busy client with ordinary answers', () => {
    const b = new PopulationBuilder();
    crowd(b, 200, 30);
    for (let k = 0; k < 400; k++) observe(b, '10.8.0.1', 'health-check/1.0', 500, 'GET', 200, k * 15_000);
    for (let k = 0; k < 600; k++) observe(b, '10.8.0.2', 'partner-sdk/2.1', k % 12, 'POST', 200, k * 100);
    expect(b.finish().outliers).toEqual([]);
  });

  it('finds an address and user agent pair when the address as a whole is ordinary', () => {
    const b = new PopulationBuilder();
    crowd(b, 200, 30);
    for (let k = 0; k < 25; k++) observe(b, '10.0.0.1', 'Mozilla/5.0 disguised', 200 + k, 'POST', 303, k * 1_000);
    const state = b.finish();
    const hit = state.outliers.find((o) => o.ip === '10.0.0.1');
    expect(hit?.ua).toBe('Mozilla/5.0 disguised');
  });

  it('leaves a crawler reading the long tail alone, and flags a client failing on as many routes no one else asks for', () => {
    const b = new PopulationBuilder();
    crowd(b, 200, 30);
    // A search engine's crawler: 140 pages no other client read, GET only, answered 200 (304 now and then).
    for (let k = 0; k < 140; k++)
      observe(b, '66.249.73.135', 'Googlebot/2.1', 1000 + k, 'GET', k % 9 ? 200 : 304, k * 3000);
    // A prober as quiet: the same number of rare routes, GET only, but most of them not found.
    for (let k = 0; k < 140; k++)
      observe(b, '192.0.2.9', 'Mozilla/5.0 browser', 2000 + k, 'GET', k % 3 ? 404 : 200, k * 3000);
    expect(b.finish().outliers.map((o) => o.ip)).toEqual(['192.0.2.9']);
  });

  it('follows clients unseen in training while scoring: a burst to rare routes is flagged from its 20th request', () => {
    const b = new PopulationBuilder();
    crowd(b, 50, 30);
    const watch = new PopulationWatch(b.finish());
    expect(watch.rare(0)).toBe(false);
    expect(watch.rare(-1)).toBe(true);
    const running = (total: number, rare: number, switches = total, probing = total) => ({
      total,
      rare,
      switches,
      probing,
    });
    expect(watch.reason('203.0.113.5', 'x', running(19, 19))).toBeUndefined();
    expect(watch.reason('203.0.113.5', 'x', running(20, 15))).toBe(
      'client 203.0.113.5: 15 of its 20 requests in this burst to routes no other client requested in training',
    );
    // Once flagged (the caller remembers it with the client's window), the client keeps its reason for its burst.
    expect(watch.reason('203.0.113.5', 'x', running(40, 15))).toBeUndefined();
    expect(watch.reason('203.0.113.5', 'x', running(40, 15), true)).toContain('client 203.0.113.5');
    expect(watch.reason('10.0.0.1', 'x', running(30, 1))).toBeUndefined();
    // Polling one new endpoint: every request rare, but never another route.
    expect(watch.reason('10.0.0.2', 'x', running(40, 40, 0))).toBeUndefined();
    // Reading the long tail, answered as readers are (a crawler): 4 of 40 failed or wrote, under a quarter.
    expect(watch.reason('10.0.0.3', 'x', running(40, 40, 40, 4))).toBeUndefined();
    expect(watch.reason('10.0.0.3', 'x', running(40, 40, 40, 10))).toContain('client 10.0.0.3');
  });

  it('reads no route as rare with a model made before population analysis', () => {
    const watch = new PopulationWatch(undefined);
    expect(watch.rare(3)).toBe(false);
    expect(watch.rare(-1)).toBe(false);
  });
});
