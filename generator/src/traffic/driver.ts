import http from 'node:http';
import type { AccessRecord } from '../format/access-line.js';
import { DEMO_PASSWORD } from '../web/app.js';
import { TrafficModel, type TrafficOptions } from './model.js';
import { WINDOW_SCENARIOS, type Label } from './scenarios.js';

export interface DriverOptions {
  /** Base URL of the web app, e.g. http://127.0.0.1:8081 */
  target: string;
  /** Requests per second. */
  rate?: number;
  anomalyRate?: number;
  seed?: number;
  /** Requests in flight at most; the driver waits when it is reached. */
  concurrency?: number;
  /** Relative share of incident requests per scenario, as in the offline model. */
  weights?: TrafficOptions['weights'];
}

export interface TrafficDriver {
  stop(): Promise<void>;
  /** Requests sent per label, and failures to connect. */
  stats(): { sent: Record<string, number>; failed: number };
}

/** Methods Node's HTTP parser does not know; the driver sends a WebDAV method instead. */
const UNPARSEABLE = new Set(['DEBUG', 'TRACK', 'CONNECT']);

/**
 * Drives the web app over HTTP with the offline model's requests, in real time. The client address travels in
 * X-Forwarded-For; time-window incidents are started on the app through POST /__faults.
 */
export function startTraffic(opts: DriverOptions): TrafficDriver {
  const base = new URL(opts.target);
  const model = new TrafficModel({
    seed: opts.seed,
    anomalyRate: opts.anomalyRate,
    rate: opts.rate ?? 5,
    weights: opts.weights,
    diurnal: false,
    start: Date.now(),
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency ?? 32 });
  const maxInFlight = opts.concurrency ?? 32;
  const sent: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  let failed = 0;
  let running = true;
  let windowTriggered: unknown;

  const request = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<void>((resolve) => {
      const req = http.request({ host: base.hostname, port: base.port || 80, method, path, headers, agent }, (res) => {
        res.resume();
        res.on('end', resolve).on('error', resolve);
      });
      req.setTimeout(120_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(body);
    });

  const send = (r: AccessRecord, label: Label) => {
    const headers: Record<string, string> = { 'user-agent': r.ua, 'x-forwarded-for': r.ip };
    if (r.referer !== '-') headers.referer = r.referer;
    if (r.status === 304) headers['if-none-match'] = '"v1"';
    if (r.status < 400 && /^\/(api|checkout)/.test(r.path)) headers.cookie = 'session=shopper';
    let body: string | undefined;
    if (r.method === 'POST' && r.path === '/login') {
      body = `user=shopper&password=${r.status === 302 ? DEMO_PASSWORD : 'guess' + Math.floor(Math.random() * 1e6)}`;
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const method = UNPARSEABLE.has(r.method) ? 'PROPFIND' : r.method;
    sent[label] = (sent[label] ?? 0) + 1;
    const p = request(method, r.query ? `${r.path}?${r.query}` : r.path, headers, body).finally(() =>
      inFlight.delete(p),
    );
    inFlight.add(p);
  };

  const startFault = (fault: string, seconds: number) =>
    request('POST', '/__faults', { 'content-type': 'application/json' }, JSON.stringify({ fault, seconds }));

  const loop = (async () => {
    while (running) {
      const { record, label } = model.next();
      const window = model.activeWindow();
      if (window && window !== windowTriggered && WINDOW_SCENARIOS.includes(window.scenario)) {
        windowTriggered = window;
        await startFault(window.scenario, (window.end - window.start) / 1000);
      }
      const wait = record.ts - Date.now();
      if (wait > 2) await new Promise((r) => setTimeout(r, wait));
      if (!running) break;
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      send(record, label);
    }
  })();

  return {
    async stop() {
      running = false;
      await loop;
      await Promise.all(inFlight);
      agent.destroy();
    },
    stats: () => ({ sent: { ...sent }, failed }),
  };
}
