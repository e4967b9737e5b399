/**
 * Population analysis of web clients, in the manner of Elastic's population jobs: each client (its address, and its
 * address with its User-Agent) is compared with the whole population of clients, not with the lines. A client that
 * sends 5% of a file's requests cannot make itself normal this way: route popularity is counted in clients (how many
 * *other* clients ask for a route), and the crowd's figures are medians over clients.
 *
 * Per client, over the training stream: its share of all requests, the share of its requests to routes that at most
 * `rareOthers` other clients requested, its POST share, its 3xx, 4xx and 5xx shares, the distinct routes it touched,
 * its requests per active minute and its busiest minute. A client with at least MIN_REQUESTS requests is an outlier
 * when
 *
 * - most of its requests go to routes few other clients request (RARE_SHARE of them, at least MIN_RARE), or
 * - it is far above the crowd in volume (its share at least HEAVY_SHARE and many times the median client's) and far
 *   from the crowd in at least two behaviours (POST share, error shares, redirect share, distinct routes, busiest
 *   minute), each at least Z robust deviations (median and MAD over clients, with floors) out.
 *
 * The outliers found in training are saved in the model with their reason; every line of such a client carries it.
 * While scoring, clients are also followed as they come (ClientWindows keeps their running counts): a client that
 * sends a burst of requests mostly to routes few clients requested in training is flagged from then on.
 */
import { detached } from '../parsing/text.js';

export const MIN_REQUESTS = 20;
export const MIN_RARE = 10;
export const RARE_SHARE = 0.5;
const HEAVY_SHARE = 0.01;
const HEAVY_TIMES_MEDIAN = 8;
const Z = 6;
/** At most this many outliers are kept in a model (the strongest first). */
const MAX_OUTLIERS = 200;
/** Clients followed in training; beyond this new clients are only counted in the totals. */
const MAX_CLIENTS = 500_000;

export interface PopulationOutlier {
  /** The client's address. */
  ip: string;
  /** Set when the entity is the address with this User-Agent (the address as a whole is not an outlier). */
  ua?: string;
  reason: string;
}

/** Saved in the model (`baselines.web.population`). */
export interface PopulationState {
  /** Requests and clients seen in training. */
  requests: number;
  clients: number;
  /** A route is rare for a client when at most this many other clients requested it. */
  rareOthers: number;
  /** Per route id, the number of distinct clients that requested it in training (capped at 65,535). */
  routeClients: number[];
  outliers: PopulationOutlier[];
}

interface Acc {
  n: number;
  post: number;
  s3: number;
  s4: number;
  s5: number;
  routes: Map<number, number>;
  minute: number;
  inMinute: number;
  maxMinute: number;
  minutes: number;
}

function newAcc(): Acc {
  return { n: 0, post: 0, s3: 0, s4: 0, s5: 0, routes: new Map(), minute: -1, inMinute: 0, maxMinute: 0, minutes: 0 };
}

function count(a: Acc, route: number, post: boolean, status: number, ts: number | undefined): void {
  a.n++;
  if (post) a.post++;
  if (status >= 300 && status < 400) a.s3++;
  else if (status >= 400 && status < 500) a.s4++;
  else if (status >= 500) a.s5++;
  a.routes.set(route, (a.routes.get(route) ?? 0) + 1);
  if (ts !== undefined) {
    const minute = Math.floor(ts / 60_000);
    if (minute !== a.minute) {
      a.minute = minute;
      a.inMinute = 0;
      a.minutes++;
    }
    if (++a.inMinute > a.maxMinute) a.maxMinute = a.inMinute;
  }
}

/** Accumulates clients over the training stream; `finish` compares each with the population. */
export class PopulationBuilder {
  private readonly byIp = new Map<string, Acc>();
  private readonly byIpUa = new Map<string, Acc>();
  private requests = 0;

  observe(ip: string | undefined, ua: string | undefined, route: number, method: string | undefined, status: number, ts: number | undefined): void {
    this.requests++;
    if (ip === undefined) return;
    const post = method === 'POST';
    let a = this.byIp.get(ip);
    if (!a) {
      if (this.byIp.size >= MAX_CLIENTS) return;
      this.byIp.set(detached(ip), (a = newAcc()));
    }
    count(a, route, post, status, ts);
    const key = `${ip}\n${ua ?? '-'}`;
    let b = this.byIpUa.get(key);
    if (!b) {
      if (this.byIpUa.size >= MAX_CLIENTS) return;
      this.byIpUa.set(key, (b = newAcc()));
    }
    count(b, route, post, status, ts);
  }

  finish(): PopulationState {
    const clients = this.byIp.size;
    const routeClients: number[] = [];
    for (const a of this.byIp.values()) {
      for (const r of a.routes.keys()) if (r >= 0) routeClients[r] = Math.min(65_535, (routeClients[r] ?? 0) + 1);
    }
    for (let r = 0; r < routeClients.length; r++) routeClients[r] ??= 0;
    const rareOthers = Math.max(1, Math.floor(clients * 0.001));
    const judge = new Judge(this.requests, routeClients, rareOthers, [...this.byIp.values()]);
    const found: (PopulationOutlier & { strength: number })[] = [];
    const flaggedIps = new Set<string>();
    for (const [ip, a] of this.byIp) {
      const v = judge.verdict(a);
      if (v) {
        found.push({ ip, reason: `client ${ip} ${v.text}`, strength: v.strength });
        flaggedIps.add(ip);
      }
    }
    const judgeUa = new Judge(this.requests, routeClients, rareOthers, [...this.byIpUa.values()]);
    for (const [key, a] of this.byIpUa) {
      const cut = key.indexOf('\n');
      const ip = key.slice(0, cut);
      if (flaggedIps.has(ip)) continue;
      const v = judgeUa.verdict(a);
      if (v) found.push({ ip, ua: key.slice(cut + 1), reason: `client ${ip} (with its user agent) ${v.text}`, strength: v.strength });
    }
    found.sort((x, y) => y.strength - x.strength || (x.ip < y.ip ? -1 : x.ip > y.ip ? 1 : 0));
    return {
      requests: this.requests,
      clients,
      rareOthers,
      routeClients,
      outliers: found.slice(0, MAX_OUTLIERS).map(({ ip, ua, reason }) => (ua === undefined ? { ip, reason } : { ip, ua, reason })),
    };
  }
}

interface Robust {
  median: number;
  spread: number;
}

/** The crowd's figures (medians and MADs over clients with enough requests) and the verdict on one client. */
class Judge {
  private readonly post: Robust;
  private readonly s3: Robust;
  private readonly s4: Robust;
  private readonly s5: Robust;
  private readonly routes: Robust;
  private readonly burst: Robust;
  private readonly medianShare: number;

  constructor(
    private readonly total: number,
    private readonly routeClients: readonly number[],
    private readonly rareOthers: number,
    all: readonly Acc[],
  ) {
    const active = all.filter((a) => a.n >= MIN_REQUESTS);
    const robust = (f: (a: Acc) => number, floor: number): Robust => robustOf(active.map(f), floor);
    this.post = robust((a) => a.post / a.n, 0.05);
    this.s3 = robust((a) => a.s3 / a.n, 0.05);
    this.s4 = robust((a) => a.s4 / a.n, 0.05);
    this.s5 = robust((a) => a.s5 / a.n, 0.03);
    this.routes = robust((a) => Math.log2(a.routes.size), 0.5);
    this.burst = robust((a) => Math.log2(a.maxMinute), 0.5);
    this.medianShare = median(all.map((a) => a.n)) / Math.max(1, total);
  }

  verdict(a: Acc): { text: string; strength: number } | undefined {
    if (a.n < MIN_REQUESTS) return undefined;
    let rare = 0;
    for (const [r, k] of a.routes) if (r < 0 || (this.routeClients[r] ?? 0) - 1 <= this.rareOthers) rare += k;
    const share = a.n / Math.max(1, this.total);
    const rareShare = rare / a.n;
    const behaviours: string[] = [];
    const z = (x: number, r: Robust) => (x - r.median) / r.spread;
    if (z(a.post / a.n, this.post) >= Z) behaviours.push(`${pct(a.post / a.n)} POST`);
    if (z(a.s5 / a.n, this.s5) >= Z) behaviours.push(`${pct(a.s5 / a.n)} HTTP 5xx`);
    if (z(a.s4 / a.n, this.s4) >= Z) behaviours.push(`${pct(a.s4 / a.n)} HTTP 4xx`);
    if (z(a.s3 / a.n, this.s3) >= Z) behaviours.push(`${pct(a.s3 / a.n)} HTTP 3xx`);
    if (z(Math.log2(a.routes.size), this.routes) >= Z) behaviours.push(`${a.routes.size} distinct routes`);
    if (z(Math.log2(a.maxMinute), this.burst) >= Z) behaviours.push(`${a.maxMinute} requests in one minute`);
    const rareWords = this.rareOthers <= 1 ? 'no other client requested' : `at most ${this.rareOthers} other clients requested`;
    const head = `made ${pct(share)} of all requests (${a.n})`;
    if (rare >= MIN_RARE && rareShare >= RARE_SHARE) {
      return { text: [`${head}, ${pct(rareShare)} to routes ${rareWords}`, ...behaviours].join(', '), strength: 1 + rareShare + share };
    }
    if (share >= HEAVY_SHARE && share >= HEAVY_TIMES_MEDIAN * this.medianShare && behaviours.length >= 2) {
      return { text: [head, ...behaviours].join(', '), strength: share };
    }
    return undefined;
  }
}

function robustOf(values: number[], floor: number): Robust {
  if (values.length === 0) return { median: 0, spread: floor };
  const m = median(values);
  const mad = median(values.map((v) => Math.abs(v - m)));
  return { median: m, spread: Math.max(floor, 1.4826 * mad) };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = Float64Array.from(values).sort();
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

function pct(x: number): string {
  const p = x * 100;
  return `${p >= 10 || p === 0 ? Math.round(p) : p.toFixed(1).replace(/\.0$/, '')}%`;
}

/** The population's verdicts while scoring: the outliers found in training, and clients followed as they come. */
export class PopulationWatch {
  private readonly byIp = new Map<string, string>();
  private readonly byIpUa = new Map<string, string>();
  private readonly routeClients: readonly number[];
  private readonly rareOthers: number;
  /** Reasons already written for clients flagged while scoring, by client. */
  private readonly live = new Map<string, string>();

  constructor(state: PopulationState | undefined) {
    this.routeClients = state?.routeClients ?? [];
    this.rareOthers = state?.rareOthers ?? 1;
    for (const o of state?.outliers ?? []) {
      if (o.ua === undefined) this.byIp.set(o.ip, o.reason);
      else this.byIpUa.set(`${o.ip}\n${o.ua}`, o.reason);
    }
  }

  /** Whether a request to this route counts as rare (few clients asked for it in training, or it is new). */
  rare(route: number): boolean {
    return route < 0 || (this.routeClients[route] ?? 0) <= this.rareOthers + 1;
  }

  /** The client's reason, if it is an outlier: from training, or from its running counts in this burst. */
  reason(ip: string, ua: string | undefined, total: number, rare: number): string | undefined {
    if (this.byIp.size) {
      const r = this.byIp.get(ip);
      if (r !== undefined) return r;
    }
    if (this.byIpUa.size) {
      const r = this.byIpUa.get(`${ip}\n${ua ?? '-'}`);
      if (r !== undefined) return r;
    }
    if (this.live.size) {
      const r = this.live.get(ip);
      if (r !== undefined) return r;
    }
    if (total >= MIN_REQUESTS && rare >= MIN_RARE && rare >= RARE_SHARE * total) {
      const words = this.rareOthers <= 1 ? 'no other client requested' : `at most ${this.rareOthers} other clients requested`;
      const text = `client ${ip}: ${rare} of its ${Math.round(total)} requests in this burst to routes ${words} in training`;
      if (this.live.size > 10_000) this.live.clear();
      this.live.set(detached(ip), text);
      return text;
    }
    return undefined;
  }
}
