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
import { minuteOf } from '../stream.js';
import { detached } from '../parsing/text.js';
import type { ClientWindows, WindowReading } from './client-window.js';

export const MIN_REQUESTS = 20;
export const MIN_RARE = 10;
export const RARE_SHARE = 0.5;
const MIN_PROBED_ROUTES = 10;
/**
 * Share of a client's requests that failed or wrote (isProbing) for its many requests to routes few others ask for
 * to be probing. A search engine's crawler reads the long tail of a site and is answered as readers are: in
 * a real blog's log (elastic/examples' apache_logs, first 2,732 lines), Googlebot, msnbot, YandexBot, Yahoo! Slurp,
 * archive.org's and Moz's bots read 21-143 pages no other client asked for, GET only, 0-3% of them failed, and every
 * line of theirs was flagged (346, 12.7% of the file); scanners fail on most of their probes, and the generator's
 * disguised scanner fails or POSTs on 65% or more.
 */
const PROBE_ANSWERS = 0.25;
const HEAVY_SHARE = 0.01;
const HEAVY_TIMES_MEDIAN = 8;
const Z = 6;
/**
 * A route one client alone requested in training is a probe's until this many clients have requested it while scoring:
 * on the disguised-scanner bench trained on its first 3,168 lines, 11 normal clients' 404s on /favicon.png were flagged
 * without this bound (precision 0.889 against 0.896 before the probe signal).
 */
const LONE_CLIENTS = 3;
/**
 * Clients a training stream needs for a crowd: with fewer, every route is one or two clients' and each client a
 * third of the traffic. A real HAProxy log (103 lines, 3 clients, 7 Dec 2026 data) had all 36 requests of the client
 * that met the backend down flagged `medium` as a prober (50% to routes no other client requested, 89% HTTP 5xx),
 * 35% of the file; the 503s are the 5xx signal's and the members' to judge.
 */
const MIN_POPULATION = 10;
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

/**
 * A request that failed (HTTP >= 400) or wrote (any method but GET and HEAD): what a prober's requests mostly are. Not
 * a failed request for what browsers ask every site for by themselves (fetchedByClients): in a real blog's log (a
 * reader's 57 requests, a missing favicon.png 404 after each page) a reader was flagged `medium` from its 20th request
 * as probing routes no other client requested (44 lines, 30% of the file).
 */
export function isProbing(status: number, method: string | undefined, path: string): boolean {
  return (status >= 400 && !fetchedByClients(path)) || (method !== undefined && method !== 'GET' && method !== 'HEAD');
}

/**
 * What browsers, feed readers and crawlers ask every site for by themselves, found or not: icons (wherever a page's
 * link puts them: a blog's missing `/images/favicon.png`), the tiles and manifests of browsers, robots.txt, sitemaps,
 * `/.well-known/` (RFC 8615). Not found, they are no probe: in a real blog's log (elastic/examples' apache_logs),
 * Safari's `apple-touch-icon-precomposed.png` and IE's `browserconfig.xml` 404s were flagged `medium` as one client's
 * routes.
 */
export function fetchedByClients(path: string): boolean {
  return ICON.test(path.slice(path.lastIndexOf('/') + 1)) || FETCHED_AT_ROOT.test(path);
}
const ICON = /^(?:favicon[\w.-]*\.(?:ico|png|svg)|apple-touch-icon[\w.-]*\.png)$/i;
const FETCHED_AT_ROOT =
  /^\/(?:browserconfig\.xml|(?:site\.)?webmanifest|manifest\.json|robots\.txt|sitemap[\w.-]*\.xml|ads\.txt|humans\.txt|\.well-known\/(?!.*\.\.)[\w./-]*)$/i;

/** A client's counts since it became active, while scoring: what the burst verdict reads of ClientWindows' reading. */
export type Running = Pick<Required<WindowReading>, 'total' | 'rare' | 'switches' | 'probing'>;

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

const UA_SLOTS = 256;

/**
 * A small number for each distinct User-Agent. A log has few, but every line brings a fresh ~100-character copy
 * that a Map would flatten and hash whole: a hash of the length and 16 sampled characters picks a slot, one string
 * comparison confirms it, and only a miss goes to the Map.
 */
class UaIds {
  private readonly slots: string[] = new Array<string>(UA_SLOTS).fill('\0');
  private readonly slotId = new Int32Array(UA_SLOTS);
  private readonly ids = new Map<string, number>();
  readonly names: string[] = [];

  idOf(ua: string): number {
    const n = ua.length;
    const step = Math.max(1, n >> 4);
    let h = n;
    for (let i = n - 1; i >= 0; i -= step) h = Math.imul(h ^ ua.charCodeAt(i), 0x01000193);
    const slot = (h ^ (h >>> 16)) & (UA_SLOTS - 1);
    if (this.slots[slot] === ua) return this.slotId[slot];
    let id = this.ids.get(ua);
    if (id === undefined) {
      id = this.names.length;
      const flat = detached(ua);
      this.names.push(flat);
      if (this.ids.size < 100_000) this.ids.set(flat, id);
    }
    this.slots[slot] = this.names[id];
    this.slotId[slot] = id;
    return id;
  }
}

/** Per entity (an address, or an address with a User-Agent), counted as lines come: growable columns. */
class Counts {
  n = new Float64Array(1024);
  post = new Float64Array(1024);
  s3 = new Float64Array(1024);
  s4 = new Float64Array(1024);
  s5 = new Float64Array(1024);
  probing = new Float64Array(1024);
  minute = new Float64Array(1024).fill(-1);
  inMinute = new Float64Array(1024);
  maxMinute = new Float64Array(1024);
  size = 0;

  add(): number {
    if (this.size === this.n.length) {
      for (const k of ['n', 'post', 's3', 's4', 's5', 'probing', 'minute', 'inMinute', 'maxMinute'] as const) {
        const old = this[k];
        this[k] = new Float64Array(old.length * 2);
        this[k].set(old);
        if (k === 'minute') this[k].fill(-1, old.length);
      }
    }
    return this.size++;
  }

  count(e: number, method: string | undefined, status: number, probing: boolean, ts: number): void {
    this.n[e]++;
    if (method === 'POST') this.post[e]++;
    if (probing) this.probing[e]++;
    if (status >= 300 && status < 400) this.s3[e]++;
    else if (status >= 400 && status < 500) this.s4[e]++;
    else if (status >= 500) this.s5[e]++;
    const minute = minuteOf(ts);
    if (minute !== this.minute[e]) {
      this.minute[e] = minute;
      this.inMinute[e] = 0;
    }
    if (++this.inMinute[e] > this.maxMinute[e]) this.maxMinute[e] = this.inMinute[e];
  }
}

/** What the verdict reads of one entity. */
interface Client {
  n: number;
  post: number;
  s3: number;
  s4: number;
  s5: number;
  probing: number;
  routes: number;
  rare: number;
  maxMinute: number;
}

const ROUTE_BITS = 2 ** 22;
/** Lines whose (entity, route) pairs are kept for the end of training; beyond, clients are only counted. */
const MAX_LINES = 5_000_000;

/**
 * Accumulates clients over the training stream; `finish` compares each with the population. Per line: two lookups
 * by number (the address's key from ClientWindows, the pair's key), a few counters, and the (entity, route) pair
 * appended to typed arrays; routes per client are counted once, at the end, by sorting those pairs.
 */
export class PopulationBuilder {
  private readonly byKey = new Map<number, number>();
  private readonly ips: string[] = [];
  private readonly ip = new Counts();
  private readonly byPair = new Map<number, number>();
  private readonly pairIp: number[] = [];
  private readonly pairUa: number[] = [];
  /** Per address: the last User-Agent id it used and that pair's entity (most clients keep one agent). */
  private readonly lastUa: number[] = [];
  private readonly lastPair: number[] = [];
  private readonly pair = new Counts();
  private readonly uas = new UaIds();
  private lineIp = new Int32Array(4096);
  private linePair = new Int32Array(4096);
  private lineRoute = new Int32Array(4096);
  private lines = 0;
  private requests = 0;

  /**
   * One request; `windows` has just counted it (its client's number and tag find the entity without hashing the
   * address), `ip` is the client's address, `path` the request's.
   */
  observe(
    windows: ClientWindows,
    ip: string,
    ua: string | undefined,
    route: number,
    method: string | undefined,
    path: string,
    status: number,
    ts: number,
  ): void {
    this.requests++;
    const probing = isProbing(status, method, path);
    let e = windows.tag - 1;
    if (e < 0) {
      const key = windows.lastKey;
      let known = this.byKey.get(key);
      if (known === undefined) {
        if (this.ips.length >= MAX_CLIENTS) return;
        known = this.ip.add();
        this.byKey.set(key, known);
        this.ips.push(detached(ip));
        this.lastUa.push(-1);
        this.lastPair.push(-1);
      }
      e = known;
      windows.tag = e + 1;
    }
    this.ip.count(e, method, status, probing, ts);
    const uaId = Math.min(this.uas.idOf(ua ?? '-'), 65_535);
    let q = this.lastUa[e] === uaId ? this.lastPair[e] : undefined;
    if (q === undefined) {
      const pairKey = e * 65_536 + uaId;
      q = this.byPair.get(pairKey);
      if (q === undefined) {
        q = this.pair.add();
        this.byPair.set(pairKey, q);
        this.pairIp.push(e);
        this.pairUa.push(uaId);
      }
      this.lastUa[e] = uaId;
      this.lastPair[e] = q;
    }
    this.pair.count(q, method, status, probing, ts);
    if (this.lines >= MAX_LINES) return;
    if (this.lines === this.lineIp.length) {
      this.lineIp = grown(this.lineIp);
      this.linePair = grown(this.linePair);
      this.lineRoute = grown(this.lineRoute);
    }
    this.lineIp[this.lines] = e;
    this.linePair[this.lines] = q;
    this.lineRoute[this.lines++] = route;
  }

  finish(): PopulationState {
    const clients = this.ips.length;
    const ipRoutes = routeRuns(this.lineIp, this.lineRoute, this.lines);
    const routeClients: number[] = [];
    for (const [, route] of ipRoutes)
      if (route >= 0) routeClients[route] = Math.min(65_535, (routeClients[route] ?? 0) + 1);
    for (let r = 0; r < routeClients.length; r++) routeClients[r] ??= 0;
    const rareOthers = Math.max(1, Math.floor(clients * 0.001));
    const isRare = (route: number) => route < 0 || (routeClients[route] ?? 0) - 1 <= rareOthers;
    const found = clients >= MIN_POPULATION ? this.outliers(ipRoutes, rareOthers, isRare) : [];
    found.sort((x, y) => y.strength - x.strength || (x.ip < y.ip ? -1 : x.ip > y.ip ? 1 : 0));
    return {
      requests: this.requests,
      clients,
      rareOthers,
      routeClients,
      outliers: found
        .slice(0, MAX_OUTLIERS)
        .map(({ ip, ua, reason }) => (ua === undefined ? { ip, reason } : { ip, ua, reason })),
    };
  }

  /** The clients far from the crowd: by address, else by address and User-Agent. */
  private outliers(
    ipRoutes: readonly [number, number, number][],
    rareOthers: number,
    isRare: (route: number) => boolean,
  ): (PopulationOutlier & { strength: number })[] {
    const found: (PopulationOutlier & { strength: number })[] = [];
    const flagged = new Set<number>();
    const ipClients = summaries(this.ip, ipRoutes, isRare);
    const judge = new Judge(this.requests, rareOthers, ipClients);
    ipClients.forEach((c, e) => {
      const v = judge.verdict(c);
      if (!v) return;
      found.push({ ip: this.ips[e], reason: `client ${this.ips[e]} ${v.text}`, strength: v.strength });
      flagged.add(e);
    });
    const pairClients = summaries(this.pair, routeRuns(this.linePair, this.lineRoute, this.lines), isRare);
    const judgePairs = new Judge(this.requests, rareOthers, pairClients);
    pairClients.forEach((c, q) => {
      const e = this.pairIp[q];
      if (flagged.has(e)) return;
      const v = judgePairs.verdict(c);
      if (v)
        found.push({
          ip: this.ips[e],
          ua: this.uas.names[this.pairUa[q]],
          reason: `client ${this.ips[e]} (with its user agent) ${v.text}`,
          strength: v.strength,
        });
    });
    return found;
  }
}

function grown(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** The distinct (entity, route) pairs of the kept lines with their counts, in entity order. */
function routeRuns(entity: Int32Array, route: Int32Array, lines: number): [number, number, number][] {
  const keys = new Float64Array(lines);
  for (let i = 0; i < lines; i++) keys[i] = entity[i] * ROUTE_BITS + (route[i] + 1);
  keys.sort();
  const out: [number, number, number][] = [];
  for (let i = 0; i < lines;) {
    let j = i + 1;
    while (j < lines && keys[j] === keys[i]) j++;
    const e = Math.floor(keys[i] / ROUTE_BITS);
    out.push([e, keys[i] - e * ROUTE_BITS - 1, j - i]);
    i = j;
  }
  return out;
}

function summaries(c: Counts, runs: readonly [number, number, number][], isRare: (route: number) => boolean): Client[] {
  const out: Client[] = [];
  for (let e = 0; e < c.size; e++)
    out.push({
      n: c.n[e],
      post: c.post[e],
      s3: c.s3[e],
      s4: c.s4[e],
      s5: c.s5[e],
      probing: c.probing[e],
      routes: 0,
      rare: 0,
      maxMinute: c.maxMinute[e],
    });
  for (const [e, route, k] of runs) {
    out[e].routes++;
    if (isRare(route)) out[e].rare += k;
  }
  return out;
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
    private readonly rareOthers: number,
    all: readonly Client[],
  ) {
    const active = all.filter((a) => a.n >= MIN_REQUESTS);
    const robust = (f: (a: Client) => number, floor: number): Robust => robustOf(active.map(f), floor);
    this.post = robust((a) => a.post / a.n, 0.05);
    this.s3 = robust((a) => a.s3 / a.n, 0.05);
    this.s4 = robust((a) => a.s4 / a.n, 0.05);
    this.s5 = robust((a) => a.s5 / a.n, 0.03);
    this.routes = robust((a) => Math.log2(a.routes), 0.5);
    this.burst = robust((a) => Math.log2(a.maxMinute), 0.5);
    this.medianShare = median(all.map((a) => a.n)) / Math.max(1, total);
  }

  verdict(a: Client): { text: string; strength: number } | undefined {
    if (a.n < MIN_REQUESTS) return undefined;
    const share = a.n / Math.max(1, this.total);
    const rareShare = a.rare / a.n;
    const behaviours: string[] = [];
    const out = (x: number, r: Robust) => (x - r.median) / r.spread >= Z;
    const posts = out(a.post / a.n, this.post);
    const fails5 = out(a.s5 / a.n, this.s5);
    const fails4 = out(a.s4 / a.n, this.s4);
    if (posts) behaviours.push(`${pct(a.post / a.n)} POST`);
    if (fails5) behaviours.push(`${pct(a.s5 / a.n)} HTTP 5xx`);
    if (fails4) behaviours.push(`${pct(a.s4 / a.n)} HTTP 4xx`);
    if (out(a.s3 / a.n, this.s3)) behaviours.push(`${pct(a.s3 / a.n)} HTTP 3xx`);
    const answers = behaviours.length > (posts ? 1 : 0);
    if (out(Math.log2(a.routes), this.routes)) behaviours.push(`${a.routes} distinct routes`);
    if (out(Math.log2(a.maxMinute), this.burst)) behaviours.push(`${a.maxMinute} requests in one minute`);
    const rareWords =
      this.rareOthers <= 1 ? 'no other client requested' : `at most ${this.rareOthers} other clients requested`;
    const head = `made ${pct(share)} of all requests (${a.n})`;
    // A client polling one or two endpoints of its own (a health check, a partner's integration) is no prober: it
    // must also stand out in a behaviour, or spread over many routes. And one that only reads and is answered as
    // readers are (a search engine's crawler) browses the long tail: it must fail or write there (PROBE_ANSWERS).
    const probes = a.probing >= PROBE_ANSWERS * a.n || posts || fails4 || fails5;
    if (
      a.rare >= MIN_RARE &&
      rareShare >= RARE_SHARE &&
      (behaviours.length > 0 || a.routes >= MIN_PROBED_ROUTES) &&
      probes
    ) {
      return {
        text: [`${head}, ${pct(rareShare)} to routes ${rareWords}`, ...behaviours].join(', '),
        strength: 1 + rareShare + share,
      };
    }
    // Heavy and unusual: two behaviours far out, one of them in its answers (a busy API client that POSTs in bursts
    // but gets ordinary answers is a customer, not an attacker).
    if (share >= HEAVY_SHARE && share >= HEAVY_TIMES_MEDIAN * this.medianShare && behaviours.length >= 2 && answers) {
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
  private readonly known: boolean;
  /** Per route one client alone requested in training: the clients that requested it since (at most LONE_CLIENTS). */
  private readonly loneClients = new Map<number, number[]>();

  constructor(state: PopulationState | undefined) {
    // Without a crowd (MIN_POPULATION) no route is few clients' either.
    this.known = state !== undefined && state.clients >= MIN_POPULATION;
    this.routeClients = state?.routeClients ?? [];
    this.rareOthers = state?.rareOthers ?? 1;
    for (const o of state?.outliers ?? []) {
      if (o.ua === undefined) this.byIp.set(o.ip, o.reason);
      else this.byIpUa.set(`${o.ip}\n${o.ua}`, o.reason);
    }
  }

  /**
   * Whether a request to this route counts as rare (few clients asked for it in training, or it is new). A model
   * made before population analysis, or on too few clients, knows no route's clients: nothing is rare then.
   */
  rare(route: number): boolean {
    if (!this.known) return false;
    return route < 0 || (this.routeClients[route] ?? 0) <= this.rareOthers + 1;
  }

  /**
   * Whether the route is still one client's: one client alone requested it in training, and fewer than LONE_CLIENTS
   * clients since (`client`: the caller's number for the client, -1 if none). A route a short training saw once, such
   * as a browser's /favicon.png, stops being one as the crowd asks for it. A route training never saw is the
   * novelty's.
   */
  lone(route: number, client: number): boolean {
    if (!this.known || route < 0 || (this.routeClients[route] ?? 0) > 1) return false;
    let seen = this.loneClients.get(route);
    if (seen === undefined) this.loneClients.set(route, (seen = []));
    if (seen.length < LONE_CLIENTS && client >= 0 && !seen.includes(client)) seen.push(client);
    return seen.length < LONE_CLIENTS;
  }

  /**
   * The client's reason, if it is an outlier: from training, or from its running counts in this burst (`running`,
   * absent when the line has no time). `flagged`: the burst was flagged before (the caller keeps that with the
   * client's window, so it ends with the burst).
   */
  reason(ip: string, ua: string | undefined, running?: Running, flagged = false): string | undefined {
    if (this.byIp.size) {
      const r = this.byIp.get(ip);
      if (r !== undefined) return r;
    }
    if (this.byIpUa.size) {
      const r = this.byIpUa.get(`${ip}\n${ua ?? '-'}`);
      if (r !== undefined) return r;
    }
    if (running && (flagged || this.burst(running))) {
      const words =
        this.rareOthers <= 1 ? 'no other client requested' : `at most ${this.rareOthers} other clients requested`;
      return `client ${ip}: ${running.rare} of its ${Math.round(running.total)} requests in this burst to routes ${words} in training`;
    }
    return undefined;
  }

  /**
   * Whether running counts make a burst of probing: mostly rare routes, moving from route to route, failing or
   * writing on PROBE_ANSWERS of them (`probing`).
   */
  burst({ total, rare, switches, probing }: Running): boolean {
    return (
      total >= MIN_REQUESTS &&
      rare >= MIN_RARE &&
      rare >= RARE_SHARE * total &&
      switches >= RARE_SHARE * total &&
      probing >= PROBE_ANSWERS * total
    );
  }
}
