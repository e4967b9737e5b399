import type { AccessRecord } from '../format/access-line.js';
import type { Pools } from '../pools/pools.js';
import { cumulative, type Rng } from '../random/rng.js';
import { imageBytes, PROFILES, sampleBytes, sampleSeconds, STATIC_BYTES, type Profile } from './profiles.js';

/** The shop's normal traffic: browsing sessions with realistic routes, status codes, sizes and latency. */

export const SITE_HOST = 'https://shop.example.com';

/** Routes backed by the (simulated) database: these fail during a DB error storm. */
export const DB_ROUTE = /^\/(products|search|cart|checkout|login|api)\b/;

/** A response as the model draws it; `next` fills in who asked and when (one object per line, no copies). */
type Request = AccessRecord;

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

const PAGES = [
  'home',
  'product',
  'search',
  'cart',
  'login',
  'checkout',
  'orders',
  'users',
  'admin',
  'missing',
] as const;
type Page = (typeof PAGES)[number];
const PAGE_WEIGHTS = cumulative([8, 36, 20, 8, 5, 4, 8, 2, 0.3, 0.8]);
const CRAWLER_PATHS = ['/robots.txt', '/sitemap.xml', '/', '/search'];
const MISSING_PATHS = [
  '/favicon.png',
  '/apple-touch-icon.png',
  '/products/',
  '/old-catalog',
  '/static/img/banner-2019.jpg',
  '/.well-known/assetlinks.json',
];

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
    req.referer = req.path.startsWith('/static/') || req.path === '/favicon.ico' ? s.referer : this.refererFor(s, req);
    req.ip = s.ip;
    req.ua = s.ua;
    req.ts = ts;
    return req;
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
    if (req.method === 'GET' && !req.path.startsWith('/api/'))
      s.referer = SITE_HOST + req.path + (req.query ? '?' + req.query : '');
    return referer;
  }

  private page(s: Session): Request {
    const rng = this.rng;
    s.remaining--;
    if (s.crawler) {
      const path = rng.chance(0.6) ? `/products/${rng.pick(this.pools.productIds)}` : rng.pick(CRAWLER_PATHS);
      return this.html(path === '/search' ? '/' : path, '', rng.chance(0.01) ? 404 : 200, PROFILES.crawl);
    }
    const page: Page = PAGES[rng.weighted(PAGE_WEIGHTS)];
    switch (page) {
      case 'home':
        return this.withAssets(s, this.html('/', '', 200, PROFILES.home));
      case 'product': {
        const id = rng.pick(this.pools.productIds);
        return this.withAssets(
          s,
          this.html(`/products/${id}`, '', rng.chance(0.012) ? 404 : 200, PROFILES.product),
          id,
        );
      }
      case 'search': {
        const term = rng.pick(this.pools.searchTerms);
        const query = rng.chance(0.2) ? `q=${term}&page=${rng.int(2, 6)}` : `q=${term}`;
        return this.withAssets(s, this.html('/search', query, 200, PROFILES.search));
      }
      case 'cart':
        if (s.cartItems === 0 || rng.chance(0.5)) {
          s.cartItems++;
          return this.response('POST', '/cart', '', 302, PROFILES.cartAdd);
        }
        return this.html('/cart', '', 200, PROFILES.cart);
      case 'login':
        if (s.loggedIn) return this.html('/', '', 200, PROFILES.home);
        if (rng.chance(0.5)) return this.html('/login', '', 200, PROFILES.login);
        // A typo now and then: the user retries and gets in.
        if (rng.chance(0.05)) return this.response('POST', '/login', '', 401, PROFILES.loginFailed);
        s.loggedIn = true;
        return this.response('POST', '/login', '', 302, PROFILES.loginOk);
      case 'checkout':
        if (s.cartItems === 0) return this.html('/cart', '', 200, PROFILES.emptyCart);
        if (rng.chance(0.5)) return this.html('/checkout', '', 200, PROFILES.checkout);
        s.cartItems = 0;
        return rng.chance(0.003)
          ? this.response('POST', '/checkout', '', 500, PROFILES.errorPage)
          : this.response('POST', '/checkout', '', 302, PROFILES.orderPlaced);
      case 'orders':
        if (!s.loggedIn) return this.html('/login', '', 200, PROFILES.login);
        return rng.chance(0.15)
          ? this.response('POST', '/api/orders', '', 201, PROFILES.apiOrderCreated)
          : this.response(
              'GET',
              '/api/orders',
              rng.chance(0.3) ? `page=${rng.int(1, 5)}` : '',
              200,
              PROFILES.apiOrders,
            );
      case 'users':
        if (!s.loggedIn) return this.html('/login', '', 200, PROFILES.login);
        return this.response('GET', '/api/users', rng.chance(0.5) ? 'me=1' : '', 200, PROFILES.apiUsers);
      case 'admin':
        return this.html('/admin', '', s.loggedIn ? 403 : 401, PROFILES.errorPage);
      case 'missing':
        return this.html(rng.pick(MISSING_PATHS), '', 404, PROFILES.errorPage);
    }
  }

  /** A page view; a rare server error, and every 4xx/5xx, answers with the small error page. */
  private html(path: string, query: string, status: number, profile: Profile): Request {
    const code = this.rng.chance(0.001) ? 500 : status;
    return this.response('GET', path, query, code, code >= 400 ? PROFILES.errorPage : profile);
  }

  private response(method: string, path: string, query: string, status: number, profile: Profile): Request {
    return {
      ip: '',
      user: '-',
      ts: 0,
      method,
      path,
      query,
      status,
      bytes: sampleBytes(profile, this.rng),
      referer: '',
      ua: '',
      rt: sampleSeconds(profile, this.rng),
    };
  }

  /** A page view pulls its static assets right after it, 304 when cached. */
  private withAssets(s: Session, page: Request, productId?: number): Request {
    const rng = this.rng;
    if (page.status !== 200) return page;
    const cached = s.remaining < 20 && rng.chance(0.6);
    if (!cached || rng.chance(0.3))
      s.assets.push(this.asset('/static/app.js', cached), this.asset('/static/style.css', cached));
    if (rng.chance(0.2)) s.assets.push(this.asset('/favicon.ico', cached));
    if (productId !== undefined)
      s.assets.push(this.asset(`/static/img/p${productId}.jpg`, cached, imageBytes(productId)));
    return page;
  }

  private asset(path: string, cached: boolean, bytes = STATIC_BYTES[path]): Request {
    return {
      ip: '',
      user: '-',
      ts: 0,
      method: 'GET',
      path,
      query: '',
      status: cached ? 304 : 200,
      bytes: cached ? 0 : bytes,
      referer: '',
      ua: '',
      rt: this.rng.logNormal(cached ? 0.001 : 0.002, 0.5),
    };
  }
}
