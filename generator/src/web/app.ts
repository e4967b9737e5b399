import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { ClfClock, escapeLogField, formatAccessLine, type AccessFormat } from '../format/access-line.js';
import { buildPools } from '../pools/pools.js';
import { Rng } from '../random/rng.js';
import { DEFAULT_POPULATION } from '../traffic/model.js';
import {
  imageBytes,
  PROFILES,
  sampleBytes,
  sampleSeconds,
  STATIC_BYTES,
  type ProfileName,
} from '../traffic/profiles.js';
import type { LogSink } from '../sinks/sink.js';
import { AppLog, type AppLogFormat } from './app-log.js';
import { DbError, SimulatedDb } from './db.js';
import { FAULTS, Faults } from './faults.js';

export interface ShopOptions {
  sink: LogSink;
  seed?: number;
  accessFormat?: AccessFormat;
  appFormat?: AppLogFormat;
  /** Mount POST /__faults (not logged), which the traffic driver uses to start time-window incidents. */
  faultControl?: boolean;
}

type Env = { Bindings: HttpBindings; Variables: { started: number } };

const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
/** Every user's password in the demo shop; the traffic driver logs in with it. */
export const DEMO_PASSWORD = 'correct-horse';
const ADMIN_USER = 'admin';

const page = (title: string, body: string) =>
  `<!doctype html><html><head><title>${title} - Shop</title><link rel="stylesheet" href="/static/style.css"></head><body><h1>${title}</h1>${body}<script src="/static/app.js"></script></body></html>`;
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const LOGIN_FORM =
  '<form method="post"><input name="user"><input name="password" type="password"><button>Sign in</button></form>';
const STATIC_TYPES: Record<string, string> = {
  '/static/app.js': 'text/javascript',
  '/static/style.css': 'text/css',
  '/favicon.ico': 'image/x-icon',
};

/** The demo shop. Every request writes one access-log line; application events go to the app log. */
export function createShopApp(opts: ShopOptions): { app: Hono<Env>; faults: Faults } {
  const seed = opts.seed ?? 1;
  const pools = buildPools(DEFAULT_POPULATION);
  const log = new AppLog(opts.sink, opts.appFormat);
  const faults = new Faults();
  const db = new SimulatedDb(log, faults, seed);
  const rng = new Rng(seed + 1);
  const clock = new ClfClock();
  const accessFormat = opts.accessFormat ?? 'nginx';
  const app = new Hono<Env>();
  const clientIp = (c: Context<Env>) =>
    c.req.header('x-forwarded-for')?.split(',')[0].trim() || getConnInfo(c).remote.address || '-';
  const productName = (id: number) => pools.productNames[id % pools.productNames.length];

  // Registered before the access log, so these requests are not logged.
  if (opts.faultControl) {
    const FaultBody = z.object({ fault: z.enum(FAULTS), seconds: z.number().positive().max(3600) });
    app.post('/__faults', async (c) => {
      const parsed = FaultBody.safeParse(await c.req.json().catch(() => undefined));
      if (!parsed.success)
        return c.json({ error: `expected {"fault": one of ${FAULTS.join(', ')}, "seconds": number}` }, 400);
      faults.start(parsed.data.fault, parsed.data.seconds);
      return c.json({ ok: true });
    });
  }

  app.use(async (c, next) => {
    const start = performance.now();
    c.set('started', start);
    await next();
    const header = c.res.headers.get('content-length');
    const bytes = header !== null ? Number(header) : c.res.body ? (await c.res.clone().arrayBuffer()).byteLength : 0;
    const rawTarget = c.env?.incoming?.url ?? c.req.path;
    const q = rawTarget.indexOf('?');
    const line = formatAccessLine(
      {
        ip: escapeLogField(clientIp(c)),
        user: '-',
        ts: Date.now(),
        method: escapeLogField(c.req.method),
        path: escapeLogField(q < 0 ? rawTarget : rawTarget.slice(0, q)),
        query: q < 0 ? '' : escapeLogField(rawTarget.slice(q + 1)),
        status: c.res.status,
        bytes,
        referer: escapeLogField(c.req.header('referer') ?? '-'),
        ua: escapeLogField(c.req.header('user-agent') ?? '-'),
        rt: (performance.now() - start) / 1000,
      },
      accessFormat,
      clock,
    );
    opts.sink.write('access', line, Date.now());
  });

  app.use(async (c, next) => {
    if (!STANDARD_METHODS.has(c.req.method)) {
      log.warn('Unusual HTTP method rejected', { method: c.req.method, path: c.req.path, ip: clientIp(c) });
      return c.text('Method Not Allowed', 405);
    }
    if (faults.active('outage_5xx')) return c.text('Service Unavailable', 503);
    if (faults.active('latency_spike')) await new Promise((r) => setTimeout(r, 1500 + rng.next() * 3000));
    await next();
  });

  /** Answers the way the offline model does: a body padded to a size drawn from the profile, after its latency. */
  const shaped = async (
    c: Context<Env>,
    status: ContentfulStatusCode,
    name: ProfileName,
    body: string,
    type = 'text/html; charset=utf-8',
    headers: Record<string, string> = {},
  ) => {
    const profile = PROFILES[name];
    const wait = sampleSeconds(profile, rng) * 1000 - (performance.now() - c.get('started'));
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const missing = sampleBytes(profile, rng) - Buffer.byteLength(body);
    return c.body(missing > 0 ? body + ' '.repeat(missing) : body, status, { 'content-type': type, ...headers });
  };
  const json = (c: Context<Env>, status: ContentfulStatusCode, name: ProfileName, data: unknown) =>
    shaped(c, status, name, JSON.stringify(data), 'application/json');
  const redirect = (c: Context<Env>, to: string, name: ProfileName) =>
    shaped(c, 302 as ContentfulStatusCode, name, `Found. Redirecting to ${to}`, 'text/plain', { location: to });
  const errorPage = (c: Context<Env>, status: ContentfulStatusCode, title: string, text: string) =>
    shaped(c, status, 'errorPage', page(title, `<p>${text}</p>`));
  const signedIn = (c: Context<Env>) => getCookie(c, 'session');

  app.get('/', (c) =>
    shaped(
      c,
      200,
      'home',
      page(
        'Welcome',
        pools.productIds
          .slice(0, 24)
          .map((id) => `<a href="/products/${id}">${escapeHtml(productName(id))}</a>`)
          .join(''),
      ),
    ),
  );

  app.get('/login', (c) => shaped(c, 200, 'login', page('Sign in', LOGIN_FORM)));
  app.post('/login', async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const user = typeof form.user === 'string' ? form.user.slice(0, 64) : '';
    await db.query('SELECT id, password_hash FROM users WHERE name = ?');
    if (!user || form.password !== DEMO_PASSWORD) {
      log.warn('Failed login', { user, ip: clientIp(c) });
      return shaped(
        c,
        401,
        'loginFailed',
        page('Sign in', `<p class="error">Invalid user name or password.</p>${LOGIN_FORM}`),
      );
    }
    log.info('User logged in', { user, ip: clientIp(c) });
    setCookie(c, 'session', user, { httpOnly: true, path: '/' });
    return redirect(c, '/', 'loginOk');
  });

  app.get('/products/:id{[0-9]+}', async (c) => {
    const id = Number(c.req.param('id'));
    await db.query('SELECT * FROM products WHERE id = ?');
    if (id > 99_999) return errorPage(c, 404, 'Not found', 'No such product.');
    return shaped(c, 200, 'product', page(escapeHtml(productName(id)), `<img src="/static/img/p${id}.jpg">`));
  });

  app.get('/search', async (c) => {
    const q = (c.req.query('q') ?? '').toLowerCase().slice(0, 40);
    await db.query('SELECT id, name FROM products WHERE name LIKE ?');
    const hits = pools.productIds.filter((id) => productName(id).toLowerCase().includes(q)).slice(0, 40);
    return shaped(
      c,
      200,
      'search',
      page(
        `Search: ${escapeHtml(q)}`,
        hits.map((id) => `<li><a href="/products/${id}">${escapeHtml(productName(id))}</a></li>`).join('') ||
          '<p>No results.</p>',
      ),
    );
  });

  app.get('/cart', (c) => {
    const items = Number(getCookie(c, 'cart') ?? 0);
    return shaped(
      c,
      200,
      items ? 'cart' : 'emptyCart',
      page('Your cart', `<p>${items} item(s)</p><a href="/checkout">Checkout</a>`),
    );
  });
  app.post('/cart', async (c) => {
    await db.query('INSERT INTO cart_items VALUES (?, ?)');
    setCookie(c, 'cart', String(Number(getCookie(c, 'cart') ?? 0) + 1), { path: '/' });
    return redirect(c, '/cart', 'cartAdd');
  });

  app.get('/checkout', (c) =>
    shaped(c, 200, 'checkout', page('Checkout', '<form method="post"><button>Pay</button></form>')),
  );
  app.post('/checkout', async (c) => {
    await db.query('INSERT INTO orders (user_id, total) VALUES (?, ?)');
    const items = Number(getCookie(c, 'cart') ?? 0);
    log.info('Order placed', { user: signedIn(c) ?? 'guest', items, total: Math.round(items * 23.5 * 100) / 100 });
    setCookie(c, 'cart', '0', { path: '/' });
    return redirect(c, '/', 'orderPlaced');
  });

  app.get('/api/users', async (c) => {
    if (!signedIn(c)) return c.json({ error: 'sign in first' }, 401);
    await db.query('SELECT id, name FROM users LIMIT ?');
    const limit = Math.min(Number(c.req.query('limit') ?? 10) || 10, 100_000);
    return json(
      c,
      200,
      'apiUsers',
      Array.from({ length: limit }, (_, i) => ({ id: i + 1, name: pools.usernames[i % pools.usernames.length] })),
    );
  });

  app.get('/api/orders', async (c) => {
    if (!signedIn(c)) return c.json({ error: 'sign in first' }, 401);
    await db.query('SELECT * FROM orders WHERE user_id = ? LIMIT ?');
    const limit = Math.min(Number(c.req.query('limit') ?? c.req.query('per_page') ?? 25) || 25, 100_000);
    return json(
      c,
      200,
      'apiOrders',
      Array.from({ length: limit }, (_, i) => ({
        id: 1000 + i,
        product: pools.productIds[i % pools.productIds.length],
        total: 10 + (i % 90),
        status: 'shipped',
      })),
    );
  });
  app.post('/api/orders', async (c) => {
    if (!signedIn(c)) return c.json({ error: 'sign in first' }, 401);
    await db.query('INSERT INTO orders (user_id, total) VALUES (?, ?)');
    log.info('Order placed', { user: signedIn(c)!, items: 1, via: 'api' });
    return json(c, 201, 'apiOrderCreated', { id: rng.int(1, 999_999), status: 'created' });
  });

  app.get('/admin', (c) => {
    if (signedIn(c) === ADMIN_USER) return shaped(c, 200, 'checkout', page('Admin', '<p>Dashboard</p>'));
    log.warn('Unauthorized admin access attempt detected', { ip: clientIp(c), user: signedIn(c) ?? '-' });
    return errorPage(c, signedIn(c) ? 403 : 401, 'Forbidden', 'Administrators only.');
  });

  for (const [path, bytes] of Object.entries(STATIC_BYTES)) {
    const file = { type: STATIC_TYPES[path], body: 'x'.repeat(bytes) };
    app.get(path, (c) =>
      c.req.header('if-none-match') === '"v1"'
        ? c.body(null, 304)
        : c.body(file.body, 200, { 'content-type': file.type, etag: '"v1"' }),
    );
  }
  app.get('/static/img/:name{p[0-9]+\\.jpg}', (c) => {
    if (c.req.header('if-none-match') === '"v1"') return c.body(null, 304);
    return c.body('x'.repeat(imageBytes(Number(c.req.param('name').slice(1, -4)))), 200, {
      'content-type': 'image/jpeg',
      etag: '"v1"',
    });
  });

  app.notFound((c) => errorPage(c, 404, 'Not found', 'The page you asked for does not exist.'));
  app.onError((err, c) => {
    if (!(err instanceof DbError)) log.error('Unhandled error', { error: err.message, path: c.req.path });
    return errorPage(c, 500, 'Error', 'Something went wrong. Please try again.');
  });

  return { app, faults };
}
