import { clip, detached } from '../parsing/text.js';

/**
 * The query parameter names each route took in training, as a web application firewall learns them: a request that
 * brings a name its route never took (`/?XDEBUG_SESSION_START=phpstorm`, `/index.php?cmd=id`) is weak evidence of a
 * probe. Only routes with a closed set are kept: at least MIN_REQUESTS training requests, at most MAX_NAMES names (a
 * route whose names are data, a cache buster's `?1700000000`, takes any). A name seen once is not learnt: in a file
 * that trains on itself, that one request may be the probe.
 */
const MIN_REQUESTS = 100;
const MAX_NAMES = 32;
const MIN_SEEN = 2;
/** Names read of one query (a client's query may hold thousands). */
const MAX_PER_QUERY = 64;
/** Characters of a name kept (names longer than this are compared by their first ones). */
const NAME_CHARS = 40;

/** Route id (TemplateIndex) to the names it took; in model files. */
export type RouteParamsState = Record<string, { names: string[]; requests: number }>;

interface Learning {
  requests: number;
  /** undefined once the route took more than MAX_NAMES names. */
  names?: Map<string, number>;
}

export class RouteParamsBuilder {
  private readonly routes = new Map<number, Learning>();

  observe(route: number, query: string): void {
    if (route < 0) return;
    let r = this.routes.get(route);
    if (!r) this.routes.set(route, (r = { requests: 0, names: new Map() }));
    r.requests++;
    const names = r.names;
    if (!names || query === '') return;
    const overflow = firstName(query, (name) => {
      const n = names.get(name);
      names.set(n === undefined ? detached(name) : name, (n ?? 0) + 1);
      return names.size > MAX_NAMES;
    });
    if (overflow !== undefined) r.names = undefined;
  }

  finish(): RouteParamsState {
    const out: RouteParamsState = {};
    for (const [route, { requests, names }] of this.routes) {
      if (!names || requests < MIN_REQUESTS) continue;
      out[route] = { names: [...names].filter(([, n]) => n >= MIN_SEEN).map(([name]) => name), requests };
    }
    return out;
  }
}

export class RouteParams {
  private readonly routes = new Map<number, { names: Set<string>; requests: number }>();

  constructor(state: RouteParamsState = {}) {
    for (const [route, { names, requests }] of Object.entries(state))
      this.routes.set(Number(route), { names: new Set(names), requests });
  }

  /** The reason when the query brings a name its route never took in training; undefined otherwise. */
  unseen(route: number, template: string, query: string): string | undefined {
    if (query === '') return undefined;
    const known = this.routes.get(route);
    if (!known) return undefined;
    const unseen = firstName(query, (name) => !known.names.has(name));
    if (unseen === undefined) return undefined;
    const requests = known.requests.toLocaleString('en-US');
    return `query parameter "${unseen}" never seen on route ${clip(template, 80)} (${requests} training requests)`;
  }
}

/**
 * The first of the query's parameter names (`a=1&b&c=2`: a, b, c; at most MAX_PER_QUERY, each cut to NAME_CHARS) that
 * `pick` picks. One pass: the next `=` is looked up only once the walk has passed the last one found.
 */
function firstName(query: string, pick: (name: string) => boolean): string | undefined {
  let eq = query.indexOf('=');
  for (let from = 0, k = 0; from <= query.length && k < MAX_PER_QUERY; k++) {
    let to = query.indexOf('&', from);
    if (to < 0) to = query.length;
    if (eq >= 0 && eq < from) eq = query.indexOf('=', from);
    const end = eq >= 0 && eq < to ? eq : to;
    if (end > from) {
      const name = query.slice(from, Math.min(end, from + NAME_CHARS));
      if (pick(name)) return name;
    }
    from = to + 1;
  }
  return undefined;
}
