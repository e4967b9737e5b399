import { Budget } from '../budget.js';
import { Drain, type DrainState, type TemplateMatch } from './drain.js';
import type { ParsedLine } from '../types.js';
import { clip, detached } from '../parsing/text.js';
import { prepareMessage } from './mask.js';
import { routeOf, routePath } from './route.js';

/**
 * The template of each line and how often training saw it. System logs use the Drain miner (cached by message, so a
 * repeated message costs one map lookup); web requests use their route (method + masked path), which keeps routes
 * apart where Drain's token similarity would merge `GET /a` and `GET /b`.
 */
export interface TemplateHit {
  /** -1 when the template was never seen in training. */
  id: number;
  template: string;
  params: readonly string[];
  /** Training lines with this template (0 when novel). */
  count: number;
}

export type TemplateIndexState =
  | { kind: 'drain'; drain: DrainState; counts: Record<string, number>; total: number }
  | { kind: 'routes'; routes: string[]; counts: number[]; total: number };

const MAX_ROUTES = 20_000;
const NO_PARAMS: readonly string[] = [];
const CACHE_LIMIT = 100_000;
/**
 * Messages cached by all the template indexes of the process together. 1,000 per-stream models, each caching up to
 * CACHE_LIMIT, held 1.5M messages under load: the largest live structure in a heap snapshot of
 * bench/streams.bench.ts. Past the budget, an index caches no more messages (dropping its own cache instead made
 * short-lived entries: old-space garbage, and peaks of heap). The windows of few hits still drop useless caches.
 */
const cacheBudget = new Budget(250_000);

/** Messages cached by every template index of the process now (what the budget's tests read). */
export function cachedMessages(): number {
  return cacheBudget.total;
}

export abstract class TemplateIndex {
  total = 0;

  /** Training: assigns (and learns) the template of a line and counts it. */
  abstract learn(p: ParsedLine): TemplateHit;
  /** Scoring: the template as trained, without learning; id -1 for a shape never seen. */
  abstract lookup(p: ParsedLine): TemplateHit;
  abstract toJSON(): TemplateIndexState;
  /** Ids of the templates learnt. */
  abstract ids(): number[];
  /** The text of a learnt template. */
  abstract text(id: number): string;
  /** Tokens one of which every line of template `id` holds in its text (Drain.needles); undefined when none do. */
  needles(_id: number): string[] | undefined {
    return undefined;
  }

  /** Training lines with the template `id` (0 for a novel one). */
  abstract count(id: number): number;

  /** Training lines a web parser could not parse (the server's own messages): 0 for a system log's index. */
  unparsedLines(): number {
    return 0;
  }

  /** -log10 of a template's share of training lines, from its count; a novel template rates above the rarest seen one. */
  rarity(count: number): number {
    const total = Math.max(this.total, 1);
    return count > 0 ? Math.log10(total / count) : Math.log10(total) + 1;
  }

  /** Ends training: later lookups see the final templates and counts. */
  abstract seal(): void;

  static create(kind: TemplateIndexState['kind']): TemplateIndex {
    return kind === 'routes' ? new RouteIndex([], []) : new DrainIndex(new Drain(), new Map());
  }

  static fromJSON(s: TemplateIndexState): TemplateIndex {
    const index =
      s.kind === 'routes'
        ? new RouteIndex(s.routes, s.counts)
        : new DrainIndex(Drain.fromJSON(s.drain), new Map(Object.entries(s.counts).map(([k, v]) => [Number(k), v])));
    index.total = s.total;
    return index;
  }
}

/**
 * Scoring looks a message up in the cache only while that pays. Messages that repeat whole (many syslog streams) hit
 * it; HDFS messages, each naming its own block, never do, and there a cache of 100,000 dead messages costs more in
 * garbage collection than it saves. So lookups come in windows: after a window with fewer than 1 hit in 8 the cache
 * is dropped and skipped for the next SKIP_WINDOWS windows, then tried again. (Lookups do not change the templates,
 * so whether a hit came from the cache never shows.)
 */
const WINDOW = 4096;
const SKIP_WINDOWS = 15;

class DrainIndex extends TemplateIndex {
  private readonly cache = new Map<string, TemplateHit>();
  private readonly share = cacheBudget.share(this);
  private readonly window = { lookups: 0, hits: 0, skip: 0 };

  constructor(
    private readonly drain: Drain,
    private readonly counts: Map<number, number>,
  ) {
    super();
  }

  learn(p: ParsedLine): TemplateHit {
    let hit = this.cache.get(p.message);
    if (!hit) hit = this.remember(p.message, toHit(this.drain.add(p.message), 0), false);
    this.total++;
    this.counts.set(hit.id, (this.counts.get(hit.id) ?? 0) + 1);
    return hit;
  }

  lookup(p: ParsedLine): TemplateHit {
    const w = this.window;
    const caching = w.skip === 0;
    let hit = caching ? this.cache.get(p.message) : undefined;
    if (hit) {
      w.hits++;
    } else {
      hit = this.match(p.message);
      if (caching) this.remember(p.message, hit);
    }
    if (++w.lookups === WINDOW) this.endWindow();
    return hit;
  }

  private match(message: string): TemplateHit {
    const m = this.drain.match(message);
    if (m) return toHit(m, this.counts.get(m.id) ?? 0);
    return {
      id: -1,
      template: clip(message, 300),
      params: NO_PARAMS,
      count: 0,
    };
  }

  private endWindow(): void {
    const w = this.window;
    if (w.skip > 0) w.skip--;
    else if (w.hits * 8 < WINDOW) {
      w.skip = SKIP_WINDOWS;
      this.dropCache();
    }
    w.lookups = w.hits = 0;
  }

  seal(): void {
    this.dropCache();
    this.countMerged();
    const lines = (id: number) => this.count(id);
    if (this.drain.absorbFirstWords(lines)) this.countMerged();
    if (this.drain.absorbNamedSlots()) this.countMerged();
    if (this.drain.absorbInstances(lines)) this.countMerged();
  }

  /** Lines of a template merged into another (a word position that proved variable, an instance) count for that one. */
  private countMerged(): void {
    for (const [id, n] of [...this.counts]) {
      const to = this.drain.resolve(id);
      if (to === id) continue;
      this.counts.set(to, (this.counts.get(to) ?? 0) + n);
      this.counts.delete(id);
    }
  }

  /**
   * Caches a message's hit. Training caches whatever the process holds (`budgeted` false): a learnt message's hit is
   * its first one, so caching changes what training learns, and the same lines must give the same model anywhere.
   */
  private remember(key: string, hit: TemplateHit, budgeted = true): TemplateHit {
    if (this.share.size >= CACHE_LIMIT) this.dropCache();
    else if (budgeted && this.share.exhausted) return hit;
    this.cache.set(key, hit);
    this.share.add();
    return hit;
  }

  private dropCache(): void {
    this.cache.clear();
    this.share.clear();
  }

  count(id: number): number {
    return this.counts.get(id) ?? 0;
  }

  ids(): number[] {
    return [...this.counts.keys()].sort((a, b) => a - b);
  }

  private texts?: Map<number, string>;

  text(id: number): string {
    this.texts ??= new Map(this.drain.templates().map((t) => [t.id, t.template]));
    return this.texts.get(id) ?? `template ${id}`;
  }

  override needles(id: number): string[] | undefined {
    return this.drain.needles(id);
  }

  toJSON(): TemplateIndexState {
    const counts: Record<string, number> = {};
    for (const [id, n] of [...this.counts].sort((a, b) => a[0] - b[0])) counts[id] = n;
    return { kind: 'drain', drain: this.drain.toJSON(), counts, total: this.total };
  }
}

class RouteIndex extends TemplateIndex {
  private readonly byRoute = new Map<string, number>();
  /** Hits by method, then by route path: a path without identifiers is its own key, so most lookups build no string. */
  private readonly hits = new Map<string, Map<string, TemplateHit>>();
  private readonly share = cacheBudget.share(this);

  constructor(
    private readonly routes: string[],
    private readonly counts: number[],
  ) {
    super();
    routes.forEach((r, i) => this.byRoute.set(r, i));
  }

  learn(p: ParsedLine): TemplateHit {
    this.total++;
    const route = routeKey(p);
    let id = this.byRoute.get(route);
    if (id === undefined) {
      if (this.routes.length >= MAX_ROUTES) return { id: -1, template: route, params: NO_PARAMS, count: 0 };
      id = this.routes.length;
      this.routes.push(route);
      this.counts.push(0);
      this.byRoute.set(route, id);
    }
    this.counts[id]++;
    return { id, template: route, params: NO_PARAMS, count: this.counts[id] };
  }

  lookup(p: ParsedLine): TemplateHit {
    const { method, path } = p.fields;
    if (method === undefined || path === undefined) {
      const shaped = this.hitOf(unparsedKey(p, true), false);
      if (shaped.id >= 0) return shaped;
      const lump = this.hitOf(unparsedKey(p, false), false);
      return lump.id >= 0 ? lump : shaped;
    }
    const key = routePath(path);
    return this.hits.get(method)?.get(key) ?? this.remember(method, key, this.hitOf(`${method} ${key}`));
  }

  seal(): void {
    this.hits.clear();
    this.share.clear();
    this.families = undefined;
  }

  /** The route's hit; one training never saw may be of a family of routes (`families`: requests only). */
  private hitOf(route: string, families = true): TemplateHit {
    const id = this.byRoute.get(route);
    if (id !== undefined) return { id, template: route, params: NO_PARAMS, count: this.count(id) };
    const family = families ? familyKey(route) : undefined;
    this.families ??= routeFamilies(this.routes, this.counts);
    return (
      (family === undefined ? undefined : this.families.get(family)) ?? {
        id: -1,
        template: route,
        params: NO_PARAMS,
        count: 0,
      }
    );
  }

  /** Routes under one path with many names (see routeFamilies), learnt at the first route training never saw. */
  private families?: Map<string, TemplateHit>;

  count(id: number): number {
    return this.counts[id] ?? 0;
  }

  private unparsed?: number;

  override unparsedLines(): number {
    this.unparsed ??= this.routes.reduce((n, r, id) => (r.startsWith(UNPARSED) ? n + this.counts[id] : n), 0);
    return this.unparsed;
  }

  private remember(method: string, key: string, hit: TemplateHit): TemplateHit {
    if (this.share.size >= CACHE_LIMIT) this.seal();
    else if (this.share.exhausted) return hit;
    let byPath = this.hits.get(method);
    if (!byPath) this.hits.set(detached(method), (byPath = new Map()));
    byPath.set(detached(key), hit);
    this.share.add();
    return hit;
  }

  ids(): number[] {
    return this.routes.map((_, i) => i);
  }

  text(id: number): string {
    return this.routes[id] ?? `route ${id}`;
  }

  toJSON(): TemplateIndexState {
    return { kind: 'routes', routes: this.routes, counts: this.counts, total: this.total };
  }
}

/**
 * Distinct names under one path (`GET /blog/geekery/` with its `.html` pages) that make the path a family: a route
 * training never saw there is one of them, as the family's most common route, counted as the whole family. A site
 * adds pages every day: a real blog's log (elastic/examples' apache_logs), trained on its first 1,366 lines and
 * scanning the rest, flagged 245 readers of pages the first half had not seen `critical` (new template). A name
 * right under the root (`/phpmyadmin`, `/.env`) is never a family's: the root is the site's own outline.
 */
const FAMILY_NAMES = 8;
const MAX_EXTENSION = 6;

/** `GET /blog/geekery/<*>.html` for `GET /blog/geekery/atomic-iptables.html`; undefined at the root or for a directory. */
function familyKey(route: string): string | undefined {
  const space = route.indexOf(' ');
  const slash = route.lastIndexOf('/');
  if (space < 0 || slash <= space + 1 || slash === route.length - 1) return undefined;
  const name = route.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= MAX_EXTENSION ? name.slice(dot) : '';
  return `${route.slice(0, slash)}/<*>${extension}`;
}

/** The families of a route index's routes, each as a hit on its most common route (the first of equals). */
function routeFamilies(routes: readonly string[], counts: readonly number[]): Map<string, TemplateHit> {
  const byKey = new Map<string, { id: number; names: number; count: number }>();
  routes.forEach((route, id) => {
    const key = route.startsWith(UNPARSED) ? undefined : familyKey(route);
    if (key === undefined) return;
    const f = byKey.get(key);
    if (!f) byKey.set(key, { id, names: 1, count: counts[id] });
    else {
      f.names++;
      f.count += counts[id];
      if (counts[id] > counts[f.id]) f.id = id;
    }
  });
  const out = new Map<string, TemplateHit>();
  for (const [key, f] of byKey)
    if (f.names >= FAMILY_NAMES) out.set(key, { id: f.id, template: key, params: NO_PARAMS, count: f.count });
  return out;
}

/**
 * Lines a web parser could not parse (the server's own messages between its requests: HAProxy's `Server app/app1 is
 * DOWN`) are templated by their masked text, each shape its own, after the `<unparsed FORMAT>` that models made
 * before 8 Dec 2026 gave them all (lookup falls back to it, see unparsedKey).
 */
function routeKey(p: ParsedLine): string {
  const { method, path } = p.fields;
  return method !== undefined && path !== undefined ? routeOf(method, path) : unparsedKey(p, true);
}

/** `<unparsed FORMAT>`, with the masked message (clipped) when `shaped`. */
function unparsedKey(p: ParsedLine, shaped: boolean): string {
  const lump = `${UNPARSED}${p.format}>`;
  return shaped ? `${lump} ${clip(prepareMessage(p.message).key, UNPARSED_CHARS)}` : lump;
}
const UNPARSED = '<unparsed ';
const UNPARSED_CHARS = 200;

function toHit(m: TemplateMatch, count: number): TemplateHit {
  return { id: m.id, template: m.template, params: m.params, count };
}
