import type { AccessRecord } from '../format/access-line.js';
import type { Pools } from '../pools/pools.js';
import { cumulative, type Rng } from '../random/rng.js';

/** The shop's normal traffic: browsing sessions with realistic routes, status codes, sizes and latency. */

export const SITE_HOST = 'https://shop.example.com';

/** Routes backed by the (simulated) database: these fail during a DB error storm. */
export const DB_ROUTE = /^\/(products|search|cart|checkout|login|api)\b/;

type Request = Pick<AccessRecord, 'method' | 'path' | 'query' | 'status' | 'bytes' | 'rt'>;

interface Session {
  ip: string;
  ua: string;
  crawler: boolean;
  loggedIn: boolean;
  cartItems: number;
  /** Last page viewed, the referer of the next request. */
  referer: string;
  remaining: number;
  assets: Request[];
}

const PAGES = ['home', 'product', 'search', 'cart', 'login', 'checkout', 'orders', 'users', 'admin', 'missing'] as const;
type Page = (typeof PAGES)[number];
const PAGE_WEIGHTS = cumulative([8, 36, 20, 8, 5, 4, 8, 2, 0.3, 0.8]);
const CRAWLER_PATHS = ['/robots.txt', '/sitemap.xml', '/', '/search'];
const MISSING_PATHS = ['/favicon.png', '/apple-touch-icon.png', '/products/', '/old-catalog', '/static/img/banner-2019.jpg', '/.well-known/assetlinks.json'];

const logNormalInt = (rng: Rng, median: number, sigma: number) => Math.max(1, Math.round(rng.logNormal(median, sigma)));
const seconds = (rng: Rng, median: number, sigma = 0.5) => rng.logNormal(median, sigma);

export class NormalTraffic {
  private readonly sessions: Session[] = [];

  constructor(
    private readonly rng: Rng,
    private readonly pools: Pools,
    concurrency = 200,
  ) {
    for (let i = 0; i < concurrency; i++) this.sessions.push(this.newSession());
  }

  /** The next normal request, from a random active session. */
  next(ts: number): AccessRecord {
    const i = Math.floor(this.rng.next() * this.sessions.length);
    let s = this.sessions[i];
    if (s.remaining <= 0 && s.assets.length === 0) s = this.sessions[i] = this.newSession();
    const req = s.assets.shift() ?? this.page(s);
    const referer = req.path.startsWith('/static/') || req.path === '/favicon.ico' ? s.referer : this.refererFor(s, req);
    return { ip: s.ip, user: '-', ts, method: req.method, path: req.path, query: req.query, status: req.status, bytes: req.bytes, referer, ua: s.ua, rt: req.rt };
  }

  private newSession(): Session {
    const rng = this.rng;
    const crawler = rng.chance(0.01);
    return {
      ip: rng.pick(this.pools.clientIps),
      ua: crawler ? rng.pick(this.pools.crawlerAgents) : rng.pick(this.pools.browserAgents),
      crawler,
      loggedIn: rng.chance(0.3),
      cartItems: 0,
      referer: rng.chance(0.5) ? rng.pick(this.pools.externalReferers) : '-',
      remaining: crawler ? rng.int(5, 40) : rng.int(2, 25),
      assets: [],
    };
  }

  private refererFor(s: Session, req: Request): string {
    const referer = s.referer;
    if (req.method === 'GET' && !req.path.startsWith('/api/')) s.referer = SITE_HOST + req.path + (req.query ? '?' + req.query : '');
    return referer;
  }

  private page(s: Session): Request {
    const rng = this.rng;
    s.remaining--;
    if (s.crawler) {
      const path = rng.chance(0.6) ? `/products/${rng.pick(this.pools.productIds)}` : rng.pick(CRAWLER_PATHS);
      return this.html(path === '/search' ? '/' : path, '', rng.chance(0.01) ? 404 : 200, 9000, 0.04);
    }
    const page: Page = PAGES[rng.weighted(PAGE_WEIGHTS)];
    switch (page) {
      case 'home':
        return this.withAssets(s, this.html('/', '', 200, 14000, 0.03));
      case 'product': {
        const id = rng.pick(this.pools.productIds);
        return this.withAssets(s, this.html(`/products/${id}`, '', rng.chance(0.012) ? 404 : 200, 11000, 0.05), id);
      }
      case 'search': {
        const term = rng.pick(this.pools.searchTerms);
        const query = rng.chance(0.2) ? `q=${term}&page=${rng.int(2, 6)}` : `q=${term}`;
        return this.withAssets(s, this.html('/search', query, 200, 16000, 0.09));
      }
      case 'cart':
        if (s.cartItems === 0 || rng.chance(0.5)) {
          s.cartItems++;
          return { method: 'POST', path: '/cart', query: '', status: 302, bytes: logNormalInt(rng, 180, 0.1), rt: seconds(rng, 0.03) };
        }
        return this.html('/cart', '', 200, 6000, 0.03);
      case 'login':
        if (s.loggedIn) return this.html('/', '', 200, 14000, 0.03);
        if (rng.chance(0.5)) return this.html('/login', '', 200, 4200, 0.015);
        // A typo now and then: the user retries and gets in.
        if (rng.chance(0.05)) return { method: 'POST', path: '/login', query: '', status: 401, bytes: logNormalInt(rng, 4400, 0.02), rt: seconds(rng, 0.12, 0.3) };
        s.loggedIn = true;
        return { method: 'POST', path: '/login', query: '', status: 302, bytes: logNormalInt(rng, 210, 0.05), rt: seconds(rng, 0.12, 0.3) };
      case 'checkout':
        if (s.cartItems === 0) return this.html('/cart', '', 200, 3000, 0.03);
        if (rng.chance(0.5)) return this.html('/checkout', '', 200, 7500, 0.06);
        s.cartItems = 0;
        return { method: 'POST', path: '/checkout', query: '', status: rng.chance(0.003) ? 500 : 302, bytes: logNormalInt(rng, 240, 0.1), rt: seconds(rng, 0.35, 0.4) };
      case 'orders':
        if (!s.loggedIn) return this.html('/login', '', 200, 4200, 0.015);
        return rng.chance(0.15)
          ? { method: 'POST', path: '/api/orders', query: '', status: 201, bytes: logNormalInt(rng, 320, 0.1), rt: seconds(rng, 0.08) }
          : { method: 'GET', path: '/api/orders', query: rng.chance(0.3) ? `page=${rng.int(1, 5)}` : '', status: 200, bytes: logNormalInt(rng, 3500, 0.5), rt: seconds(rng, 0.06) };
      case 'users':
        if (!s.loggedIn) return this.html('/login', '', 200, 4200, 0.015);
        return { method: 'GET', path: '/api/users', query: rng.chance(0.5) ? 'me=1' : '', status: 200, bytes: logNormalInt(rng, 900, 0.3), rt: seconds(rng, 0.04) };
      case 'admin':
        return this.html('/admin', '', s.loggedIn ? 403 : 401, 1100, 0.01);
      case 'missing':
        return this.html(rng.pick(MISSING_PATHS), '', 404, 1100, 0.005);
    }
  }

  private html(path: string, query: string, status: number, medianBytes: number, medianRt: number): Request {
    const rng = this.rng;
    const failed = rng.chance(0.001);
    const code = failed ? 500 : status;
    const bytes = code >= 400 ? logNormalInt(rng, 1100, 0.1) : logNormalInt(rng, medianBytes, 0.25);
    return { method: 'GET', path, query, status: code, bytes, rt: seconds(rng, medianRt) };
  }

  /** A page view pulls its static assets right after it, 304 when cached. */
  private withAssets(s: Session, page: Request, productId?: number): Request {
    const rng = this.rng;
    if (page.status !== 200) return page;
    const cached = s.remaining < 20 && rng.chance(0.6);
    if (!cached || rng.chance(0.3)) s.assets.push(this.asset('/static/app.js', 182000, cached), this.asset('/static/style.css', 41000, cached));
    if (rng.chance(0.2)) s.assets.push(this.asset('/favicon.ico', 15086, cached));
    if (productId !== undefined) s.assets.push(this.asset(`/static/img/p${productId}.jpg`, 60000, cached));
    return page;
  }

  private asset(path: string, medianBytes: number, cached: boolean): Request {
    const rng = this.rng;
    return cached
      ? { method: 'GET', path, query: '', status: 304, bytes: 0, rt: seconds(rng, 0.001) }
      : { method: 'GET', path, query: '', status: 200, bytes: logNormalInt(rng, medianBytes, 0.05), rt: seconds(rng, 0.002) };
  }
}
