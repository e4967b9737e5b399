import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createParser } from '@anomalog/backend';
import { startFakeLoki } from '@anomalog/backend/testkit';
import { startTraffic } from '../traffic/driver.js';
import { PROFILES } from '../traffic/profiles.js';
import { DEMO_PASSWORD } from './app.js';
import { startWebApp } from './server.js';

const root = mkdtempSync(join(tmpdir(), 'anomalog-web-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const readLines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);

/** A raw request: the path goes out exactly as given (no URL normalisation), any method. */
function request(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('web app', () => {
  it('writes one access-log line per request, as the engine parses it, and app events', async () => {
    const dir = join(root, 'requests');
    const app = await startWebApp({ port: 0, host: '127.0.0.1', sinks: [{ kind: 'file', dir }] });
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const sent: [string, string, number, Record<string, string>?, string?][] = [
      ['GET', '/', 200],
      ['GET', '/products/42', 200],
      ['GET', '/search?q=lamp&page=2', 200],
      ['GET', '/static/app.js', 200],
      ['GET', '/static/app.js', 304, { 'if-none-match': '"v1"' }],
      ['POST', '/login', 401, form, 'user=bob&password=nope'],
      ['POST', '/login', 302, form, `user=bob&password=${DEMO_PASSWORD}`],
      ['GET', '/api/orders', 401],
      ['GET', '/api/orders', 200, { cookie: 'session=bob' }],
      ['GET', '/admin', 401],
      ['GET', '/static/../../../etc/passwd', 404],
      ['GET', "/search?q=1'+OR+'1'='1", 200],
      ['PROPFIND', '/', 405],
      ['GET', '/no/such/page', 404],
    ];
    for (const [method, path, status, headers, body] of sent) {
      expect(
        await request(
          app.url,
          method,
          path,
          { 'x-forwarded-for': '203.0.113.7', 'user-agent': 'test-agent/1.0', ...headers },
          body,
        ),
        `${method} ${path}`,
      ).toBe(status);
    }
    await app.close();

    const lines = readLines(join(dir, 'access.log'));
    expect(lines).toHaveLength(sent.length);
    const parser = createParser('auto', { sample: lines });
    expect(parser.format).toBe('nginx');
    lines.forEach((line, i) => {
      const [method, target, status] = sent[i];
      const f = parser.parse(line).fields;
      expect(f.ip).toBe('203.0.113.7');
      expect(f.method).toBe(method);
      expect(f.query ? `${f.path}?${f.query}` : f.path).toBe(target);
      expect(f.status).toBe(String(status));
      expect(f.ua).toBe('test-agent/1.0');
      expect(Number(f.rt)).toBeGreaterThanOrEqual(0);
    });
    // Sizes follow the same profiles as the offline model, so a model trained offline fits the live logs.
    const bytes = (i: number) => Number(parser.parse(lines[i]).fields.bytes);
    expect(bytes(0)).toBeGreaterThan(PROFILES.home.bytes / 2);
    expect(bytes(0)).toBeLessThan(PROFILES.home.bytes * 2);
    expect(bytes(1)).toBeGreaterThan(PROFILES.product.bytes / 2);
    expect(bytes(1)).toBeLessThan(PROFILES.product.bytes * 2);
    expect(Number(parser.parse(lines[3]).fields.bytes)).toBe(182_000);
    expect(Number(parser.parse(lines[4]).fields.bytes)).toBe(0);

    const events = readLines(join(dir, 'app.log')).map(
      (l) => JSON.parse(l) as { level: string; msg: string; user?: string },
    );
    expect(events).toContainEqual(expect.objectContaining({ level: 'WARNING', msg: 'Failed login', user: 'bob' }));
    expect(events).toContainEqual(expect.objectContaining({ level: 'INFO', msg: 'User logged in', user: 'bob' }));
    expect(events).toContainEqual(
      expect.objectContaining({ level: 'WARNING', msg: 'Unauthorized admin access attempt detected' }),
    );
  });

  it('serves 503 during an outage started through /__faults, which is itself not logged', async () => {
    const dir = join(root, 'faults');
    const app = await startWebApp({ port: 0, host: '127.0.0.1', sinks: [{ kind: 'file', dir }] });
    expect(
      await request(
        app.url,
        'POST',
        '/__faults',
        { 'content-type': 'application/json' },
        '{"fault":"outage_5xx","seconds":30}',
      ),
    ).toBe(200);
    expect(
      await request(app.url, 'POST', '/__faults', { 'content-type': 'application/json' }, '{"fault":"meteor"}'),
    ).toBe(400);
    expect(await request(app.url, 'GET', '/')).toBe(503);
    await app.close();
    const lines = readLines(join(dir, 'access.log'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"GET / HTTP/1.1" 503 ');
  });

  it('writes to combined sinks: files and Loki get the same lines', async () => {
    const loki = await startFakeLoki();
    const dir = join(root, 'combined');
    const app = await startWebApp({
      port: 0,
      host: '127.0.0.1',
      sinks: [
        { kind: 'file', dir },
        { kind: 'loki', url: loki.url, labels: { env: 'test' } },
      ],
    });
    for (const path of ['/', '/admin', '/search?q=<script>alert(1)</script>'])
      await request(app.url, 'GET', path, { 'user-agent': 'x\t"y' });
    await app.close();
    await loki.close();
    const pushed = (job: string) =>
      loki.pushes.flatMap((p) =>
        p.streams
          .filter((st) => st.stream.job === job && st.stream.env === 'test')
          .flatMap((st) => st.values.map(([, line]) => line)),
      );
    expect(pushed('web')).toEqual(readLines(join(dir, 'access.log')));
    expect(pushed('app')).toEqual(readLines(join(dir, 'app.log')));
    expect(pushed('web')).toHaveLength(3);
    // A hostile user agent cannot break the line: quotes and control characters are escaped, as Apache does.
    expect(pushed('web')[0]).toContain('"x\\x09\\"y"');
  });

  it('logs every request the traffic driver sends', async () => {
    const dir = join(root, 'driven');
    const app = await startWebApp({ port: 0, host: '127.0.0.1', sinks: [{ kind: 'file', dir }] });
    const driver = startTraffic({ target: app.url, rate: 80, anomalyRate: 0.2, seed: 5 });
    await new Promise((r) => setTimeout(r, 1500));
    await driver.stop();
    await app.close();
    const { sent, failed } = driver.stats();
    const total = Object.values(sent).reduce((a, b) => a + b, 0);
    expect(failed).toBe(0);
    expect(total).toBeGreaterThan(20);
    const lines = readLines(join(dir, 'access.log'));
    expect(lines).toHaveLength(total);
    const parser = createParser('auto', { sample: lines });
    expect(lines.filter((l) => parser.parse(l).format !== 'nginx')).toEqual([]);
  });
});
