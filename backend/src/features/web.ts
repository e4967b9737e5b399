import { attackHits, suspectHeader, type AttackCategory, type HeaderFields } from './attacks.js';
import { UA_CLASSES, uaClass } from './user-agent.js';
import { clip, detached } from '../parsing/text.js';
import { ABSOLUTE_URL } from '../parsing/web.js';
import type { Matrix, ParsedLine } from '../types.js';
import { ClientWindows, WINDOW_MS, type WindowReading } from './client-window.js';
import { columnsOf, type FeatureSpec } from './schema.js';
import type { TemplateHit, TemplateIndex } from '../templates/template-index.js';
import { RobustRouteStats, type RouteStats } from './route-baseline.js';
import { fetchedByClients, isProbing, PopulationBuilder, PopulationWatch, type PopulationState } from './population.js';
import { RouteParams, RouteParamsBuilder, type RouteParamsState } from './route-params.js';

/** Line features of a web request (any access-log layout: the web fields of parsing/web.ts). */
export const WEB_FEATURES: readonly FeatureSpec[] = [
  { name: 'status_class', kind: 'category' },
  { name: 'bytes_z', kind: 'zscore' },
  { name: 'rt_z', kind: 'zscore' },
  { name: 'path_depth', kind: 'count' },
  { name: 'path_length', kind: 'count' },
  { name: 'query_length', kind: 'count' },
  { name: 'special_chars', kind: 'count' },
  { name: 'attack_sqli', kind: 'flag' },
  { name: 'attack_xss', kind: 'flag' },
  { name: 'attack_traversal', kind: 'flag' },
  { name: 'attack_cmdi', kind: 'flag' },
  { name: 'method', kind: 'category' },
  { name: 'ua_class', kind: 'category' },
  { name: 'template_rarity', kind: 'rarity' },
  { name: 'template_novel', kind: 'flag' },
  { name: 'client_rate', kind: 'ratio' },
  { name: 'client_errors', kind: 'count' },
];

export const WEB = columnsOf(WEB_FEATURES);
/**
 * The four attack columns are families: code run by the server's shell or runtime (command injection, code for its
 * template or expression engine, shellshock, log4shell) is `attack_cmdi`; reaching files or addresses the client
 * should not (traversal, file inclusion, SSRF) is `attack_traversal`. The reasons name the class itself.
 */
const ATTACK_COLUMN: Record<AttackCategory, number> = {
  sqli: WEB.attack_sqli,
  xss: WEB.attack_xss,
  traversal: WEB.attack_traversal,
  cmdi: WEB.attack_cmdi,
  code: WEB.attack_cmdi,
  shellshock: WEB.attack_cmdi,
  log4shell: WEB.attack_cmdi,
  ssrf: WEB.attack_traversal,
  rfi: WEB.attack_traversal,
};

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Learnt in training: per route, the median and robust spread of log1p(bytes) and of log1p(response time in ms); the typical
 * client rate per window.
 */
export interface WebBaselineState {
  bytes: RouteStats;
  rt: RouteStats;
  /**
   * Median requests per minute of a client, over training lines (at least 1); 0 when the training's clients spanned
   * less than RATE_SPAN_MS, too short to measure a rate: the client columns are then 0 in training and scoring.
   */
  clientRate: number;
  /** The clients compared with their population (features/population.ts); absent in models made before it. */
  population?: PopulationState;
  /** The query parameter names of routes (features/route-params.ts); absent in models made before it. */
  params?: RouteParamsState;
}

const MAX_Z = 50;
const RATE_BINS = 4096;
/**
 * The shortest span of training lines with clients that learns their rates: two windows, so most lines see a full
 * one. A stream that learns from a short warm-up sees every client's first requests only (200 lines over 4 s: one
 * each), and its steady traffic then had 24% of its lines flagged for their clients' rates (bench/streams.bench.ts).
 */
export const RATE_SPAN_MS = 2 * WINDOW_MS;

/** Accumulates web baselines over the training stream (per-route statistics, a histogram of client rates). */
export class WebBaselineBuilder {
  private readonly bytes = new RobustRouteStats();
  private readonly rt = new RobustRouteStats();
  private readonly rates = new Float64Array(RATE_BINS);
  private readonly windows = new ClientWindows();
  private readonly population = new PopulationBuilder();
  private readonly params = new RouteParamsBuilder();
  private firstTs = Infinity;
  private lastTs = -Infinity;

  /** Learns from one line; returns its client's window (the same object each call), if it has a client and a time. */
  observe(p: ParsedLine, hit: TemplateHit): WindowReading | undefined {
    if (hit.id >= 0) {
      this.bytes.add(hit.id, Math.log1p(bytesOf(p)));
      this.rt.add(hit.id, Math.log1p(millisOf(p)));
      this.params.observe(hit.id, p.fields.query ?? '');
    }
    const client = p.fields.ip;
    if (client === undefined || p.ts === undefined) return undefined;
    const status = statusOf(p);
    if (p.ts < this.firstTs) this.firstTs = p.ts;
    if (p.ts > this.lastTs) this.lastTs = p.ts;
    const r = this.windows.add(client, p.ts, status >= 400);
    this.population.observe(
      this.windows,
      client,
      p.fields.ua,
      hit.id,
      p.fields.method,
      p.fields.path ?? '',
      status,
      p.ts,
    );
    this.rates[Math.min(RATE_BINS - 1, Math.round(r.requests))]++;
    return r;
  }

  finish(): WebBaselineState {
    return {
      bytes: this.bytes.finish(),
      rt: this.rt.finish(),
      clientRate: this.lastTs - this.firstTs >= RATE_SPAN_MS ? Math.max(1, median(this.rates)) : 0,
      population: this.population.finish(),
      params: this.params.finish(),
    };
  }
}

/** Values of a sample row that are scored against training: its route, log1p bytes and ms, its client's window. */
const ROUTE = 0;
const LOG_BYTES = 1;
const LOG_MS = 2;
const REQUESTS = 3;
const ERROR_RATIO = 4;
const HAS_CLIENT = 5;
const PENDING = 6;

/**
 * The feature rows of a web training sample, built in the pass that learns the baselines, so each line is parsed
 * once. Columns scored against what the whole pass learns (bytes and response time against the route, template
 * rarity, client rate) are filled by `matrix` at the end: the rows equal what LineFeaturizer gives after training.
 */
export class WebSample {
  private data: Float64Array<ArrayBuffer>;
  private pending: Float64Array<ArrayBuffer>;
  private readonly uaClasses = new UaClassCache();
  rows = 0;

  /** `capacity`: the rows expected. Fresh memory is slow to fault in here, so growing by copies costs more than reserving. */
  constructor(capacity = 1024) {
    this.data = new Float64Array(Math.max(1, capacity) * WEB_FEATURES.length);
    this.pending = new Float64Array(Math.max(1, capacity) * PENDING);
  }

  add(p: ParsedLine, hit: TemplateHit, window: WindowReading | undefined): void {
    if (this.rows * WEB_FEATURES.length === this.data.length) {
      this.data = grown(this.data);
      this.pending = grown(this.pending);
    }
    fillRequest(p, statusOf(p), this.uaClasses, this.data, this.rows * WEB_FEATURES.length);
    const at = this.rows++ * PENDING;
    this.pending[at + ROUTE] = hit.id;
    this.pending[at + LOG_BYTES] = Math.log1p(bytesOf(p));
    this.pending[at + LOG_MS] = Math.log1p(millisOf(p));
    this.pending[at + REQUESTS] = window?.requests ?? 0;
    this.pending[at + ERROR_RATIO] = window?.errorRatio ?? 0;
    this.pending[at + HAS_CLIENT] = window ? 1 : 0;
  }

  matrix(baseline: WebBaselineState, templates: TemplateIndex): Matrix {
    const cols = WEB_FEATURES.length;
    const v = this.pending;
    const window: WindowReading = { requests: 0, errorRatio: 0 };
    for (let r = 0, at = 0; r < this.rows; r++, at += PENDING) {
      window.requests = v[at + REQUESTS];
      window.errorRatio = v[at + ERROR_RATIO];
      const route = v[at + ROUTE];
      const rarity = templates.rarity(templates.count(route));
      fillLearnt(
        this.data,
        r * cols,
        baseline,
        route,
        v[at + LOG_BYTES],
        v[at + LOG_MS],
        rarity,
        v[at + HAS_CLIENT] ? window : undefined,
      );
    }
    return { data: this.data.subarray(0, this.rows * cols), rows: this.rows, cols };
  }
}

function grown(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

/** Fills web features into a row; keeps its own client windows, so one instance per scored stream. */
export class WebFeatures {
  private readonly windows = new ClientWindows();
  private readonly uaClasses = new UaClassCache();
  /** The last line's client window, for reasons. */
  window: WindowReading = { requests: 0, errorRatio: 0 };
  /** The last line's client, when the population analysis finds it far from the crowd: the reason. */
  entity: string | undefined;
  /**
   * The last line, when it looks like a probe: a request on a route one client alone requested in training, not a
   * crawler's (a crawler follows stale links), answered with an error or asking for another site; the reason.
   */
  probe: string | undefined;
  /** The last line, when its query brings a parameter name its route never took in training: the reason. */
  unseenParam: string | undefined;
  private readonly population: PopulationWatch;
  private readonly params: RouteParams;

  constructor(
    readonly baseline: WebBaselineState,
    private readonly templates: TemplateIndex,
  ) {
    this.population = new PopulationWatch(baseline.population);
    this.params = new RouteParams(baseline.params);
  }

  fill(p: ParsedLine, hit: TemplateHit, row: Float64Array): void {
    const status = statusOf(p);
    fillRequest(p, status, this.uaClasses, row, 0);
    const { ip } = p.fields;
    const probing = isProbing(status, p.fields.method, p.fields.path ?? '');
    // Routes training never saw share the id -1: a hash of the route tells them apart for the route switches.
    const routeKey = hit.id >= 0 ? hit.id : -2 - (stringHash(hit.template) & 0x3fffffff);
    const window =
      ip !== undefined && p.ts !== undefined
        ? (this.window = this.windows.add(ip, p.ts, status >= 400, this.population.rare(hit.id), routeKey, probing))
        : undefined;
    const client = window ? this.windows.lastKey : -1;
    this.unseenParam = this.params.unseen(hit.id, hit.template, p.fields.query ?? '');
    this.probe =
      row[WEB.ua_class] !== BOT_CLASS && this.population.lone(hit.id, client) ? probeOf(p, hit, status) : undefined;
    if (ip === undefined) this.entity = undefined;
    else {
      // A burst once flagged stays flagged while the client's window lives (the tag is kept in its slot).
      const flagged = window !== undefined && this.windows.tag === 1;
      this.entity = this.population.reason(ip, p.fields.ua, window, flagged);
      if (window && !flagged && this.entity !== undefined && this.population.burst(window)) this.windows.tag = 1;
    }
    // A page training never saw, read and answered as pages are, is new content: as rare as a page seen once, not
    // novel. Asked for with an error answer or a write, it stays novel (a probe's).
    const newPage = hit.id < 0 && !probing;
    fillLearnt(
      row,
      0,
      this.baseline,
      hit.id,
      Math.log1p(bytesOf(p)),
      Math.log1p(millisOf(p)),
      this.templates.rarity(newPage ? 1 : hit.count),
      window,
    );
    if (newPage) row[WEB.template_novel] = 0;
  }
}

/** A lone route's line as a probe: answered with an error (HTTP 4xx or 5xx), or asking for another site. */
function probeOf(p: ParsedLine, hit: TemplateHit, status: number): string | undefined {
  const lone = 'in training one client alone requested it';
  const route = clip(hit.template, 80);
  const path = p.fields.path ?? '';
  // An origin server's request names a path; `http://host/…` is for a proxy (a probe for an open one).
  if (ABSOLUTE_URL.test(path))
    return `route ${route} asks for another site, answered HTTP ${status}: ${lone} (a proxy probe?)`;
  return status >= 400 && !fetchedByClients(path) && !followedLink(p.fields.referer)
    ? `route ${route} answered HTTP ${status}: ${lone} (a probe?)`
    : undefined;
}

/**
 * A request from a link on a named site (a search engine's result, a page of this site): a reader following a link to
 * a page gone, not a probe. Scanners send no referer, or the address they scan (`http://203.0.113.7:8080/`). In a real
 * blog's log a Safari reader from Google asking for a moved article was flagged `medium` as a probe.
 */
function followedLink(referer: string | undefined): boolean {
  return referer !== undefined && LINK_FROM_NAMED_SITE.test(referer);
}
const LINK_FROM_NAMED_SITE = /^https?:\/\/(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?(?:[/?#]|$)/i;

/**
 * The columns read from the request alone: status, the path and query's shape and attack patterns, method, user
 * agent. Into the row starting at `row[at]` (as fillLearnt).
 */
function fillRequest(p: ParsedLine, status: number, uaClasses: UaClassCache, row: Float64Array, at: number): void {
  const f = p.fields;
  const path = f.path ?? '';
  const query = f.query ?? '';
  row[at + WEB.status_class] = Math.floor(status / 100);
  row[at + WEB.path_depth] = countChar(path, 47 /* / */);
  row[at + WEB.path_length] = path.length;
  row[at + WEB.query_length] = query.length;
  row[at + WEB.special_chars] = specialChars(path) + specialChars(query);
  row[at + WEB.attack_sqli] = row[at + WEB.attack_xss] = row[at + WEB.attack_traversal] = row[at + WEB.attack_cmdi] = 0;
  // The user agent's verdict is remembered with its class (a log has few distinct agents); the referer is read
  // only when it is there.
  const ua = f.ua ?? '';
  const uaEntry = uaClasses.entry(ua);
  const referer = f.referer;
  HEADERS.ua = uaEntry & SUSPECT ? ua : undefined;
  HEADERS.referer = referer && referer !== '-' ? referer : undefined;
  const headers = HEADERS.ua !== undefined || HEADERS.referer !== undefined ? HEADERS : undefined;
  for (const h of attackHits(path, query, headers)) row[at + ATTACK_COLUMN[h.category]] = 1;
  const method = f.method === undefined ? -1 : METHODS.indexOf(f.method);
  row[at + WEB.method] = method < 0 ? METHODS.length : method;
  row[at + WEB.ua_class] = uaEntry & CLASS_MASK;
}

const HEADERS: HeaderFields = {};

/** The columns scored against training: bytes and response time against the route's baseline, the template's rarity, the client's rate. */
function fillLearnt(
  row: Float64Array,
  at: number,
  baseline: WebBaselineState,
  route: number,
  logBytes: number,
  logMs: number,
  rarity: number,
  window: WindowReading | undefined,
): void {
  row[at + WEB.bytes_z] = zScore(baseline.bytes, route, logBytes);
  row[at + WEB.rt_z] = zScore(baseline.rt, route, logMs);
  row[at + WEB.template_rarity] = rarity;
  row[at + WEB.template_novel] = route < 0 ? 1 : 0;
  const rated = window !== undefined && baseline.clientRate > 0;
  row[at + WEB.client_rate] = rated ? Math.log2(1 + window.requests / baseline.clientRate) : 0;
  row[at + WEB.client_errors] = rated ? Math.log2(1 + window.requests * window.errorRatio) : 0;
}

const BOT_CLASS = UA_CLASSES.indexOf('bot');
const UA_SLOTS = 256;
const CLASS_MASK = 15;
const SUSPECT = 16;
const UA_SAMPLES = 16;

/**
 * The UA_CLASSES index of each user agent, remembered. A log has few distinct user agents, but every line brings a
 * fresh copy of one (about 100 characters), which a Map would hash whole. So a hash of the length and 16 sampled
 * characters picks a slot first, and one string comparison confirms it; user agents that share a slot take turns,
 * falling back to the Map.
 */
class UaClassCache {
  private readonly slots: string[] = new Array<string>(UA_SLOTS).fill('');
  private readonly slotIndex = new Int8Array(UA_SLOTS).fill(UA_CLASSES.indexOf('empty'));
  private readonly byUa = new Map<string, number>();

  indexOf(ua: string): number {
    return this.entry(ua) & CLASS_MASK;
  }

  /** Whether the agent holds what a header attack needs (see attacks.ts, suspectHeader), remembered with its class. */
  suspect(ua: string): boolean {
    return (this.entry(ua) & SUSPECT) !== 0;
  }

  /** The agent's class index (CLASS_MASK bits) and SUSPECT flag, remembered. */
  entry(ua: string): number {
    const slot = sampledHash(ua) & (UA_SLOTS - 1);
    if (this.slots[slot] === ua) return this.slotIndex[slot];
    let i = this.byUa.get(ua);
    if (i === undefined) {
      i = UA_CLASSES.indexOf(uaClass(ua)) | (suspectHeader(ua) ? SUSPECT : 0);
      if (this.byUa.size > 10_000) this.byUa.clear();
      this.byUa.set(detached(ua), i);
    }
    this.slots[slot] = detached(ua);
    this.slotIndex[slot] = i;
    return i;
  }
}

function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function sampledHash(s: string): number {
  const n = s.length;
  const step = Math.max(1, Math.floor(n / UA_SAMPLES));
  let h = n;
  for (let i = n - 1; i >= 0; i -= step) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h ^ (h >>> 16);
}

/** z-score of x against the route's training statistics (0 for a route without any). */
function zScore(stats: RouteStats, route: number, x: number): number {
  if (route < 0 || route >= stats.mean.length) return 0;
  const z = (x - stats.mean[route]) / stats.std[route];
  return z > MAX_Z ? MAX_Z : z < -MAX_Z ? -MAX_Z : z;
}

/** Response time in ms (the `rt` field is in seconds); 0 when the format has none. */
function millisOf(p: ParsedLine): number {
  const rt = p.fields.rt;
  return rt === undefined ? 0 : (Number(rt) || 0) * 1000;
}

export function statusOf(p: ParsedLine): number {
  const s = p.fields.status;
  return s === undefined ? 0 : Number(s) || 0;
}

export function bytesOf(p: ParsedLine): number {
  const b = p.fields.bytes;
  return b === undefined || b === '-' ? 0 : Number(b) || 0;
}

function countChar(s: string, code: number): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === code) n++;
  return n;
}

/** Characters that rarely appear in a benign request: quotes, angle brackets, shell and SQL punctuation, '%'. */
const SPECIAL = new Uint8Array(128);
for (const c of `'"<>;|\`$(){}\\%*!`) SPECIAL[c.charCodeAt(0)] = 1;

function specialChars(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 ? SPECIAL[c] === 1 : true) n++;
  }
  return n;
}

function median(hist: Float64Array): number {
  let total = 0;
  for (const v of hist) total += v;
  let acc = 0;
  for (let i = 0; i < hist.length; i++) {
    acc += hist[i];
    if (acc * 2 >= total && total > 0) return i;
  }
  return 1;
}
