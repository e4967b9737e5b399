import { describe, expect, it } from 'vitest';
import { normalAccessLog, plantedAccessLine } from '../../test/fixtures/logs.js';
import { createParser } from '../parsing/index.js';
import type { ParsedLine } from '../types.js';
import { cachedMessages, TemplateIndex, type TemplateHit } from './template-index.js';

/** A sealed index trained on `train` and restored from its JSON, as a scorer gets it. */
function trained(kind: 'routes' | 'drain', train: readonly ParsedLine[]): TemplateIndex {
  const index = TemplateIndex.create(kind);
  for (const p of train) index.learn(p);
  index.seal();
  return TemplateIndex.fromJSON(JSON.parse(JSON.stringify(index.toJSON())));
}

const plain = (h: TemplateHit) => ({ ...h, params: [...h.params] });

/** Lookups must not depend on what was looked up before (the caches only save work). */
function expectOrderFree(kind: 'routes' | 'drain', train: readonly ParsedLine[], lines: readonly ParsedLine[]): void {
  const forward = trained(kind, train);
  const backward = trained(kind, train);
  const seen = lines.map((p) => plain(forward.lookup(p)));
  const reversed = [...lines]
    .reverse()
    .map((p) => plain(backward.lookup(p)))
    .reverse();
  expect(seen).toEqual(reversed);
  expect(lines.map((p) => plain(forward.lookup(p)))).toEqual(seen);
}

describe('template lookups', () => {
  it('find the same route whatever was looked up before', () => {
    const parser = createParser('apache');
    const train = normalAccessLog(2000).map((l) => parser.parse(l));
    const targets = [
      '/products/1',
      '/products/2',
      '/cart',
      '/wp-admin/x.php',
      '/u/3f2a9c1b7d/orders/12',
      '/search?q=a',
      '/products/1',
    ];
    const lines = [
      ...normalAccessLog(500, 9).map((l) => parser.parse(l)),
      ...targets.flatMap((target, i) =>
        ['GET', 'POST', 'BREW'].map((method) => parser.parse(plantedAccessLine(3000 + i, { method, target }))),
      ),
      parser.parse('not an access line'),
    ];
    expectOrderFree('routes', train, lines);
    const index = trained('routes', train);
    expect(index.lookup(lines[lines.length - 1]).template).toBe('<unparsed generic> not an access line');
    expect(index.lookup(parser.parse(plantedAccessLine(1, { target: '/products/8812?x=1' }))).template).toBe(
      'GET /products/<*>',
    );
  });

  it("give a web log's lines that are no request a template per masked message, and read older models' one for all", () => {
    const parser = createParser('apache');
    const server = (s: string) => parser.parse(`Nov  7 17:58:52 haproxy haproxy[489]: ${s}`);
    const down = server('Server app/app1 is DOWN, reason: Layer4 timeout, check duration: 2002ms.');
    const up = server('Server app/app1 is UP, reason: Layer4 check passed, check duration: 0ms.');
    const index = trained('routes', [...normalAccessLog(200).map((l) => parser.parse(l)), down, up, up]);
    expect([down, up].map((p) => [index.lookup(p).template, index.lookup(p).count])).toEqual([
      [
        '<unparsed generic> haproxy haproxy[<*>]: Server app/app<*> is DOWN, reason: Layer<*> timeout, check duration: <*>ms.',
        1,
      ],
      [
        '<unparsed generic> haproxy haproxy[<*>]: Server app/app<*> is UP, reason: Layer<*> check passed, check duration: <*>ms.',
        2,
      ],
    ]);
    const older = TemplateIndex.fromJSON({
      kind: 'routes',
      routes: ['GET /', '<unparsed generic>'],
      counts: [9, 3],
      total: 12,
    });
    expect(older.lookup(down)).toMatchObject({ id: 1, template: '<unparsed generic>', count: 3 });
    expect([index.unparsedLines(), older.unparsedLines()]).toEqual([3, 3]);
  });

  it("read a page training never saw under a path of many pages as one of them, not at the site's root", () => {
    const parser = createParser('apache');
    const request = (target: string, method = 'GET') => parser.parse(plantedAccessLine(1, { method, target }));
    const pages = ['ssh-keys', 'xvfb-firefox', 'eventdb-ideas', 'soekris-gpio', 'ipv6', 'puppet', 'munin', 'zfs'];
    const train = [
      ...pages.flatMap((page, i) => Array.from({ length: i + 1 }, () => request(`/blog/geekery/${page}.html`))),
      ...pages.slice(0, 7).map((page) => request(`/${page}`)),
      ...pages.slice(0, 7).map((page) => request(`/docs/${page}.html`)),
    ];
    const index = trained('routes', train);
    // 8 pages under /blog/geekery/: a new one is one of them, as the most read, counted as all 36 lines
    expect(plain(index.lookup(request('/blog/geekery/atomic-iptables.html')))).toEqual({
      ...plain(index.lookup(request('/blog/geekery/zfs.html'))),
      template: 'GET /blog/geekery/<*>.html',
      count: 36,
    });
    // another extension, another method, 7 names, the root: still never seen
    for (const [target, method] of [
      ['/blog/geekery/shell.php', 'GET'],
      ['/blog/geekery/new.html', 'POST'],
      ['/docs/new.html', 'GET'],
      ['/phpmyadmin', 'GET'],
    ])
      expect(index.lookup(request(target, method)).id).toBe(-1);
  });

  it('find the same Drain template whatever was looked up before, across cache windows', () => {
    const parser = createParser('hdfs');
    const line = (i: number, text: string) =>
      parser.parse(`081109 2036${String(i % 60).padStart(2, '0')} 148 INFO dfs.DataNode: ${text}`);
    const train = Array.from({ length: 200 }, (_, i) =>
      line(i, `Receiving block blk_${i} src: /10.0.0.${i % 250}:5001${i % 10}`),
    );
    // unique messages for several windows (the cache turns itself off), then repeats (it comes back)
    const unique = Array.from({ length: 3 * 4096 }, (_, i) =>
      line(i, `Receiving block blk_${1000 + i} src: /10.0.1.${i % 250}:50010`),
    );
    const repeated = Array.from({ length: 17 * 4096 }, (_, i) =>
      line(i, i % 3 ? 'Served block blk_7 to /10.0.0.1' : 'Receiving block blk_7 src: /10.0.0.1:50010'),
    );
    expectOrderFree('drain', train, [...unique, ...repeated, line(0, 'never seen anything like it')]);
  });

  it('cache at most 250,000 messages over all indexes of the process, each index at most 100,000', () => {
    const parser = createParser('apache');
    const train = normalAccessLog(200).map((l) => parser.parse(l));
    // Paths of letters only: each is its own route key, so each lookup caches one more.
    const word = (i: number) => i.toString(26).replace(/./g, (d) => String.fromCharCode(97 + parseInt(d, 26)));
    const lines = Array.from({ length: 60_000 }, (_, i) =>
      parser.parse(plantedAccessLine(1, { target: `/x/${word(i)}` })),
    );
    const indexes = Array.from({ length: 6 }, () => trained('routes', train));
    const before = cachedMessages();
    let most = 0;
    for (const index of indexes)
      for (const p of lines) {
        index.lookup(p);
        most = Math.max(most, cachedMessages());
      }
    expect(before + 6 * 60_000).toBeGreaterThan(250_000);
    expect(most).toBeLessThanOrEqual(250_000);
    expect(indexes[5].lookup(lines[7]).template).toBe(`GET /x/${word(7)}`);
  });

  it('cache what training learns even when the process has spent its cache budget (same lines, same model)', () => {
    const apache = createParser('apache');
    const word = (i: number) => i.toString(26).replace(/./g, (d) => String.fromCharCode(97 + parseInt(d, 26)));
    const spenders = Array.from({ length: 3 }, () =>
      trained(
        'routes',
        normalAccessLog(200).map((l) => apache.parse(l)),
      ),
    );
    for (let i = 0; cachedMessages() < 250_000; i++)
      spenders[Math.floor(i / 90_000) % 3].lookup(apache.parse(plantedAccessLine(1, { target: `/y/${word(i)}` })));
    // A message's hit in training is its first one (cached): fresh hits could differ once its template has grown.
    const parser = createParser('log4j');
    const line = parser.parse('2024-03-01 10:00:00,000 INFO [main] com.x.Auth: user alice logged in');
    const index = TemplateIndex.create('drain');
    const first = index.learn(line);
    expect(index.learn(line)).toBe(first);
    // Lookups (scoring) cache no more past the budget.
    const before = cachedMessages();
    spenders[0].lookup(apache.parse(plantedAccessLine(1, { target: '/z/never' })));
    expect(cachedMessages()).toBe(before);
  });
});

describe('sealing', () => {
  it("merges a template a slot's first value started into the variable learnt later (loghub OpenSSH)", () => {
    const parser = createParser('syslog');
    const lines = [
      'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186',
      ...['test9', 'chen', 'pgadmin1', 'utsims', 'admin', 'support', 'oracle'].map(
        (u, i) => `Dec 10 07:0${i}:38 LabSZ sshd[2420${i}]: Invalid user ${u} from 52.80.34.${i}`,
      ),
    ].map((l) => parser.parse(l));
    const index = trained('drain', lines);
    const templates = new Set(lines.map((p) => index.lookup(p).template));
    expect(templates).toEqual(new Set(['Invalid user <*> from <*>']));
    expect(index.lookup(lines[0]).count).toBe(lines.length);
  });
});
