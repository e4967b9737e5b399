import { describe, expect, it } from 'vitest';
import { normalAccessLog, plantedAccessLine } from '../../test/fixtures/logs.js';
import { createScorer, train } from './index.js';

function scannerLog(): { lines: string[]; scanner: number[] } {
  const lines: string[] = [];
  const ua =
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
  const pages = ['/', '/products/12', '/search', '/cart', '/static/app.js', '/login', '/products/7', '/about'];
  let t = 0;
  const stamp = (s: number) => {
    const d = new Date(Date.UTC(2024, 2, 1) + s * 1000);
    const p = (n: number) => String(n).padStart(2, '0');
    return `${p(d.getUTCDate())}/Mar/2024:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
  };
  const scanner: number[] = [];
  for (let i = 0; i < 6000; i++) {
    t += 0.5;
    if (i >= 3000 && i < 4200 && i % 4 === 0) {
      scanner.push(lines.length);
      const path = ['/wp-login.php', '/administrator/index.php', '/user/login', '/cms/search', '/admin/login.php'][
        i % 5
      ];
      lines.push(
        `192.0.2.7 - - [${stamp(t)}] "${i % 3 ? 'POST' : 'GET'} ${path} HTTP/1.1" ${i % 2 ? 303 : 500} 240 "-" "${ua}"`,
      );
      continue;
    }
    const c = (i * 37) % 300;
    const page = pages[(i * 13 + c) % pages.length];
    lines.push(
      `10.1.${c >> 8}.${c & 255} - - [${stamp(t)}] "GET ${page} HTTP/1.1" 200 ${4000 + ((i * 7919) % 3000)} "-" "${ua}"`,
    );
  }
  return { lines, scanner };
}

describe('population analysis in the pipeline', () => {
  it('flags every line of a browser-disguised scanner that is 5% of the training data, and saves the verdict in the model', async () => {
    const { lines, scanner } = scannerLog();
    const model = await train(lines, { detector: 'iforest', seed: 1 });
    expect(model.baselines.web?.population?.outliers.map((o) => o.ip)).toEqual(['192.0.2.7']);
    const restored = JSON.parse(JSON.stringify(model)) as typeof model;
    const scored = createScorer(restored, { detector: 'ensemble' }).pushBatch(lines);
    const flagged = scored.map((s, i) => (s.anomaly ? i : -1)).filter((i) => i >= 0);
    expect(flagged).toEqual(scanner);
    expect(scored[scanner[0]].reasons).toContain(
      'client 192.0.2.7 made 5% of all requests (300), 100% to routes no other client requested, 67% POST, 100% HTTP 5xx, 30 requests in one minute',
    );
  });

  it('follows a scanner that training never saw: flagged from its 20th request, with the burst in words', async () => {
    const { lines, scanner } = scannerLog();
    const model = await train(lines.slice(0, 2900), { detector: 'iforest', seed: 1 });
    expect(model.baselines.web?.population?.outliers).toEqual([]);
    const scored = createScorer(model, { detector: 'ensemble' }).pushBatch(lines);
    const burst = scanner.slice(19).map((i) => scored[i]);
    expect(burst.filter((s) => !s.anomaly)).toEqual([]);
    expect(
      burst.every((s) =>
        s.reasons.some((r) =>
          /^client 192\.0\.2\.7: \d+ of its \d+ requests in this burst to routes no other client requested in training$/.test(
            r,
          ),
        ),
      ),
    ).toBe(true);
  });
});

describe('a crowd of too few clients', () => {
  it('judges no client against it: the one that met the backend down is no prober (a real HAProxy log of 3 clients)', async () => {
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/54.0 Safari/537.36';
    const line = (i: number, ip: string, path: string, status: number) => {
      const ss = String(i % 60).padStart(2, '0');
      const mm = String(Math.floor(i / 60)).padStart(2, '0');
      return `${ip} - - [07/Nov/2016:10:${mm}:${ss} +0000] "GET ${path} HTTP/1.1" ${status} 212 "-" "${ua}"`;
    };
    const lines: string[] = [];
    for (let i = 0; i < 36; i++) lines.push(line(i, '123.136.68.2', ['/cbioportal', '/favicon.ico', '/'][i % 3], 503));
    for (let i = 36; i < 100; i++) {
      const ip = i % 2 ? '203.116.206.254' : '202.42.255.254';
      lines.push(line(i, ip, ['/cbioportal/', `/cbioportal/study?id=${i}`, '/cbioportal/js/app.js'][i % 3], 200));
    }
    const model = await train(lines, { detector: 'iforest', seed: 1 });
    expect(model.baselines.web?.population).toMatchObject({ clients: 3, outliers: [] });
    const scored = createScorer(model, { detector: 'ensemble' }).pushBatch(lines);
    expect(scored.flatMap((s) => s.reasons).filter((r) => r.startsWith('client '))).toEqual([]);
  });
});

describe('a reader of a small site', () => {
  it("is no prober for the site's missing icon its pages link to (a real blog's log: 44 of a reader's lines flagged)", async () => {
    const safari =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_6) AppleWebKit/605.1.15 Version/14.0.3 Safari/605.1.15';
    const at = (s: number) =>
      `28/Jan/2021:06:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0800`;
    const line = (s: number, ip: string, path: string, status: number) =>
      `${ip} - - [${at(s)}] "GET ${path} HTTP/1.1" ${status} 512 "http://blog.example/" "${safari}"`;
    const lines: string[] = [];
    for (let c = 0; c < 12; c++) lines.push(line(c, `203.0.113.${c}`, c % 2 ? '/' : '/robots.txt', 200));
    for (let i = 0; i < 45; i++) {
      const page = i % 3 === 2 ? '/images/favicon.png' : i % 3 === 1 ? '/styles.css' : `/posts/note-${i}/`;
      lines.push(line(20 + i, '223.102.45.235', page, page.endsWith('favicon.png') ? 404 : 200));
    }
    const model = await train(lines, { detector: 'iforest', seed: 1 });
    const scored = createScorer(model, { detector: 'ensemble' }).pushBatch(lines);
    expect(scored.flatMap((s) => s.reasons).filter((r) => r.startsWith('client '))).toEqual([]);
  });
});

describe('probes', () => {
  const at = (lines: string[], i: number, ip: string, request: string, status: number, ua: string) =>
    lines[i]
      .replace(/^\S+/, ip)
      .replace(/"GET [^"]*" \d{3}/, `"${request}" ${status}`)
      .replace(/"[^"]*"$/, `"${ua}"`);

  it('flags an error answer or another site asked for on a route one client alone requested in training, not a crawler on it, nor a lone page', async () => {
    const lines = scannerLog().lines.slice(0, 3000);
    lines[1000] = at(lines, 1000, '203.0.113.5', 'GET /muieblackcat HTTP/1.1', 404, '-');
    lines[1500] = at(
      lines,
      1500,
      '203.0.113.6',
      'GET /blog/old-post HTTP/1.1',
      404,
      'Googlebot/2.1 (+http://www.google.com/bot.html)',
    );
    lines[2000] = at(lines, 2000, '203.0.113.7', 'GET /about/team HTTP/1.1', 200, 'Mozilla/5.0 (X11; Linux x86_64)');
    lines[2500] = at(lines, 2500, '203.0.113.8', 'GET http://www.example.net/ HTTP/1.1', 200, 'Mozilla/4.0');
    // what a browser asks every site for by itself, not found
    const safari = 'MobileSafari/9537.53 CFNetwork/672.0.8 Darwin/14.0.0';
    lines[2700] = at(lines, 2700, '203.0.113.9', 'GET /apple-touch-icon-precomposed.png HTTP/1.1', 404, safari);
    // a reader following a search engine's link to an article moved away; a scanner naming the address it scans
    const fromLink = (i: number, ip: string, request: string, referer: string) =>
      at(lines, i, ip, request, 404, safari).replace(/"[^"]*" ("[^"]*")$/, `"${referer}" $1`);
    lines[2800] = fromLink(2800, '203.0.113.10', 'GET /article/CoreDataInSwiftUI/ HTTP/1.1', 'https://www.google.com/');
    lines[2900] = fromLink(2900, '203.0.113.11', 'GET /manager/html HTTP/1.1', 'http://198.51.100.7:8080/');
    const model = await train(lines, { detector: 'iforest', seed: 1 });
    const scored = createScorer(model, { detector: 'ensemble' }).pushBatch(lines);
    expect([1000, 1500, 2000, 2500, 2700, 2800, 2900].map((i) => scored[i].anomaly)).toEqual([
      true,
      false,
      false,
      true,
      false,
      false,
      true,
    ]);
    expect(scored[2500].reasons).toContain(
      'route GET http://www.example.net/ asks for another site, answered HTTP 200: in training one client alone requested it (a proxy probe?)',
    );
    expect(scored[1000].reasons).toContain(
      'route GET /muieblackcat answered HTTP 404: in training one client alone requested it (a probe?)',
    );
    // The crowd makes it theirs: the third client to ask for it since training is no prober.
    const later = ['203.0.113.20', '203.0.113.21'].map((ip) =>
      at(lines, 2999, ip, 'GET /muieblackcat HTTP/1.1', 404, '-'),
    );
    expect(
      createScorer(model, { detector: 'ensemble' })
        .pushBatch([lines[1000], ...later])
        .map((s) => s.anomaly),
    ).toEqual([true, true, false]);
  });

  it('flags a user agent that names a scanner on its own, above an HTTP library where scripts are routine', async () => {
    const lines = scannerLog().lines.slice(0, 3000);
    for (let i = 5; i < lines.length; i += 20) lines[i] = lines[i].replace(/"[^"]*"$/, '"curl/8.5.0"');
    const model = await train(lines, { detector: 'iforest', seed: 1 });
    const [zgrab, curl] = createScorer(model, { detector: 'ensemble' }).pushBatch([
      at(lines, 10, '203.0.113.8', 'GET / HTTP/1.1', 200, 'Mozilla/5.0 zgrab/0.x'),
      at(lines, 11, '203.0.113.9', 'GET / HTTP/1.1', 200, 'curl/8.5.0'),
    ]);
    expect([zgrab.anomaly, zgrab.reasons]).toEqual([true, ['scanner or tool user agent: zgrab']]);
    expect(curl.reasons).toEqual(['scanner or tool user agent: curl']);
    expect(curl.score).toBeLessThan(zgrab.score);
  });

  it("names a query parameter the route never took in training, as weak evidence beside the line's other", async () => {
    const lines = normalAccessLog(4000, 3);
    const model = await train(lines, { detector: 'iforest', seed: 1 });
    const [usual, debug] = createScorer(model, { detector: 'ensemble' }).pushBatch([
      plantedAccessLine(4000, { target: '/search?q=lamp', bytes: 2100 }),
      plantedAccessLine(4001, { target: '/search?q=lamp&XDEBUG_SESSION_START=phpstorm', bytes: 2100 }),
    ]);
    expect(usual.reasons.filter((r) => r.startsWith('query parameter'))).toEqual([]);
    expect(debug.reasons).toContain(
      'query parameter "XDEBUG_SESSION_START" never seen on route GET /search (381 training requests)',
    );
    expect(debug.score).toBeGreaterThan(usual.score);
  });
});
