import { Drain, type DrainState, type TemplateMatch } from '../templates/drain.js';
import type { ParsedLine } from '../types.js';
import { routeOf } from './route.js';

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

const CACHE_LIMIT = 100_000;
const MAX_ROUTES = 20_000;
const NO_PARAMS: readonly string[] = [];

export abstract class TemplateIndex {
  total = 0;
  protected readonly cache = new Map<string, TemplateHit>();

  /** Training: assigns (and learns) the template of a line and counts it. */
  abstract learn(p: ParsedLine): TemplateHit;
  /** Scoring: the template as trained, without learning; id -1 for a shape never seen. */
  abstract lookup(p: ParsedLine): TemplateHit;
  abstract toJSON(): TemplateIndexState;
  /** Ids of the templates learnt. */
  abstract ids(): number[];
  /** The text of a learnt template. */
  abstract text(id: number): string;

  /** -log10 of the template's share of training lines; a novel template rates above the rarest seen one. */
  rarity(hit: TemplateHit): number {
    const total = Math.max(this.total, 1);
    return hit.count > 0 ? Math.log10(total / hit.count) : Math.log10(total) + 1;
  }

  /** Ends training: later lookups see the final templates and counts. */
  seal(): void {
    this.cache.clear();
  }

  protected remember(key: string, hit: TemplateHit): TemplateHit {
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(key, hit);
    return hit;
  }

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

class DrainIndex extends TemplateIndex {
  constructor(
    private readonly drain: Drain,
    private readonly counts: Map<number, number>,
  ) {
    super();
  }

  learn(p: ParsedLine): TemplateHit {
    let hit = this.cache.get(p.message);
    if (!hit) hit = this.remember(p.message, toHit(this.drain.add(p.message), 0));
    this.total++;
    this.counts.set(hit.id, (this.counts.get(hit.id) ?? 0) + 1);
    return hit;
  }

  lookup(p: ParsedLine): TemplateHit {
    const cached = this.cache.get(p.message);
    if (cached) return cached;
    const m = this.drain.match(p.message);
    const hit: TemplateHit = m
      ? toHit(m, this.counts.get(m.id) ?? 0)
      : { id: -1, template: p.message.length > 300 ? `${p.message.slice(0, 300)}…` : p.message, params: NO_PARAMS, count: 0 };
    return this.remember(p.message, hit);
  }

  ids(): number[] {
    return [...this.counts.keys()].sort((a, b) => a - b);
  }

  private texts?: Map<number, string>;

  text(id: number): string {
    this.texts ??= new Map(this.drain.templates().map((t) => [t.id, t.template]));
    return this.texts.get(id) ?? `template ${id}`;
  }

  toJSON(): TemplateIndexState {
    const counts: Record<string, number> = {};
    for (const [id, n] of [...this.counts].sort((a, b) => a[0] - b[0])) counts[id] = n;
    return { kind: 'drain', drain: this.drain.toJSON(), counts, total: this.total };
  }
}

class RouteIndex extends TemplateIndex {
  private readonly byRoute = new Map<string, number>();

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
    const route = routeKey(p);
    const cached = this.cache.get(route);
    if (cached) return cached;
    const id = this.byRoute.get(route);
    return this.remember(route, { id: id ?? -1, template: route, params: NO_PARAMS, count: id === undefined ? 0 : this.counts[id] });
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

/** Lines a web parser could not parse keep their own shape, so they read as novel. */
function routeKey(p: ParsedLine): string {
  const { method, path } = p.fields;
  return method !== undefined && path !== undefined ? routeOf(method, path) : `<unparsed ${p.format}>`;
}

function toHit(m: TemplateMatch, count: number): TemplateHit {
  return { id: m.id, template: m.template, params: m.params, count };
}
