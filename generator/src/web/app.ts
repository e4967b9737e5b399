import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { ClfClock, escapeLogField, formatAccessLine, type AccessFormat } from '../format/access-line.js';
import { buildPools } from '../pools/pools.js';
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

type Env = { Bindings: HttpBindings };

const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
/** Every user's password in the demo shop; the traffic driver logs in with it. */
export const DEMO_PASSWORD = 'correct-horse';
const ADMIN_USER = 'admin';

const page = (title: string, body: string) =>
  `<!doctype html><html><head><title>${title} - Shop</title><link rel="stylesheet" href="/static/style.css"></head><body><h1>${title}</h1>${body}<script src="/static/app.js"></script></body></html>`;
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const staticFile = (bytes: number, fill: string) => fill.repeat(Math.ceil(bytes / fill.length)).slice(0, bytes);
const STATIC: Record<string, { type: string; body: string }> = {
  '/static/app.js': { type: 'text/javascript', body: staticFile(182_000, 'function shop(){return 1}\n') },
  '/static/style.css': { type: 'text/css', body: staticFile(41_000, 'body{margin:0;font:14px sans-serif}\n') },
  '/favicon.ico': { type: 'image/x-icon', body: staticFile(15_086, '\u0000') },
};

/** The demo shop. Every request writes one access-log line; application events go to the app log. */
export function createShopApp(opts: ShopOptions): { app: Hono<Env>; faults: Faults } {
  const seed = opts.seed ?? 1;
  const pools = buildPools(seed);
  const log = new AppLog(opts.sink, opts.appFormat);
  const faults = new Faults();
  const db = new SimulatedDb(log, faults, seed);
  const clock = new ClfClock();
  const accessFormat = opts.accessFormat ?? 'nginx';
  const app = new Hono<Env>();
  const clientIp = (c: Context<Env>) =>
    c.req.header('x-forwarded-for')?.split(',')[0].trim() || getConnInfo(c).remote.address || '-';
  const productName = (id: number) => pools.productNames[id % pools.productNames.length];

  if (opts.faultControl) {
    const FaultBody = z.object({ fault: z.enum(FAULTS), seconds: z.number().positive().max(3600) });
    app.post('/__faults', async (c) => {
      const parsed = FaultBody.safeParse(await c.req.json().catch(() => undefined));
      if (!parsed.success) return c.json({ error: `expected {"fault": one of ${FAULTS.join(', ')}, "seconds": number}` }, 400);
      faults.start(parsed.data.fault, parsed.data.seconds);
      return c.json({ ok: true });
    });
  }

  app.use(async (c, next) => {
    if (c.req.path === '/__faults') return next();
    const start = performance.now();
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
    if (faults.active('latency_spike')) await new Promise((r) => setTimeout(r, 1500 + Math.random() * 3000));
    await next();
  });

  app.get('/', (c) => c.html(page('Welcome', pools.productIds.slice(0, 24).map((id) => `<a href="/products/${id}">${escapeHtml(productName(id))}</a>`).join(''))));

  app.get('/login', (c) => c.html(page('Sign in', '<form method="post"><input name="user"><input name="password" type="password"><button>Sign in</button></form>')));
  app.post('/login', async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const user = typeof form.user === 'string' ? form.user.slice(0, 64) : '';
    await db.query('SELECT id, password_hash FROM users WHERE name = ?');
    if (!user || form.password !== DEMO_PASSWORD) {
      log.warn('Failed login', { user, ip: clientIp(c) });
      return c.html(page('Sign in', '<p class="error">Invalid user name or password.</p><form method="post"><input name="user"><input name="password" type="password"></form>'), 401);
    }
    log.info('User logged in', { user, ip: clientIp(c) });
    setCookie(c, 'session', user, { httpOnly: true, path: '/' });
    return c.redirect('/', 302);
  });

  app.get('/products/:id{[0-9]+}', async (c) => {
    const id = Number(c.req.param('id'));
    await db.query('SELECT * FROM products WHERE id = ?');
    if (id > 99_999) return c.html(page('Not found', '<p>No such product.</p>'), 404);
    return c.html(page(escapeHtml(productName(id)), `<p>${'Great value. '.repeat(60 + (id % 40))}</p><img src="/static/img/p${id}.jpg">`));
  });

  app.get('/search', async (c) => {
    const q = c.req.query('q') ?? '';
    await db.query('SELECT id, name FROM products WHERE name LIKE ?');
    const hits = pools.productIds.filter((id) => productName(id).toLowerCase().includes(q.toLowerCase().slice(0, 40))).slice(0, 40);
    return c.html(page(`Search: ${escapeHtml(q)}`, hits.map((id) => `<li><a href="/products/${id}">${escapeHtml(productName(id))}</a></li>`).join('') || '<p>No results.</p>'));
  });

  app.get('/cart', (c) => c.html(page('Your cart', `<p>${getCookie(c, 'cart') ?? 0} item(s)</p><a href="/checkout">Checkout</a>`)));
  app.post('/cart', async (c) => {
    await db.query('INSERT INTO cart_items VALUES (?, ?)');
    setCookie(c, 'cart', String(Number(getCookie(c, 'cart') ?? 0) + 1), { path: '/' });
    return c.redirect('/cart', 302);
  });

  app.get('/checkout', (c) => c.html(page('Checkout', '<form method="post"><button>Pay</button></form>')));
  app.post('/checkout', async (c) => {
    await db.query('INSERT INTO orders (user_id, total) VALUES (?, ?)');
    const items = Number(getCookie(c, 'cart') ?? 0);
    log.info('Order placed', { user: getCookie(c, 'session') ?? 'guest', items, total: Math.round(items * 23.5 * 100) / 100 });
    setCookie(c, 'cart', '0', { path: '/' });
    return c.redirect('/', 302);
  });

  const signedIn = (c: Context<Env>) => getCookie(c, 'session');

  app.get('/api/users', async (c) => {
    if (!signedIn(c)) return c.json({ error: 'sign in first' }, 401);
    await db.query('SELECT id, name FROM users LIMIT ?');
    const limit = Math.min(Number(c.req.query('limit') ?? 20) || 20, 100_000);
    return c.json(Array.from({ length: limit }, (_, i) => ({ id: i + 1, name: pools.usernames[i % pools.usernames.length] })));
  });

  app.get('/api/orders', async (c) => {
    if (!signedIn(c)) return c.json({ error: 'sign in first' }, 401);
    await db.query('SELECT * FROM orders WHERE user_id = ? LIMIT ?');
    const limit = Math.min(Number(c.req.query('limit') ?? c.req.query('per_page') ?? 25) || 25, 100_000);
    return c.json(Array.from({ length: limit }, (_, i) => ({ id: 1000 + i, product: pools.productIds[i % pools.productIds.length], total: 10 + (i % 90), status: 'shipped' })));
  });
  app.post('/api/orders', async (c) => {
    if (!signedIn(c)) return c.json({ error: 'sign in first' }, 401);
    await db.query('INSERT INTO orders (user_id, total) VALUES (?, ?)');
    log.info('Order placed', { user: signedIn(c)!, items: 1, via: 'api' });
    return c.json({ id: Math.floor(Math.random() * 1e6), status: 'created' }, 201);
  });

  app.get('/admin', (c) => {
    if (signedIn(c) === ADMIN_USER) return c.html(page('Admin', '<p>Dashboard</p>'));
    log.warn('Unauthorized admin access attempt detected', { ip: clientIp(c), user: signedIn(c) ?? '-' });
    return c.html(page('Forbidden', '<p>Administrators only.</p>'), signedIn(c) ? 403 : 401);
  });

  for (const [path, file] of Object.entries(STATIC)) {
    app.get(path, (c) => (c.req.header('if-none-match') === '"v1"' ? c.body(null, 304) : c.body(file.body, 200, { 'content-type': file.type, etag: '"v1"' })));
  }
  app.get('/static/img/:name', (c) => (c.req.header('if-none-match') === '"v1"' ? c.body(null, 304) : c.body(staticFile(60_000, 'JFIF'), 200, { 'content-type': 'image/jpeg', etag: '"v1"' })));

  app.notFound((c) => c.html(page('Not found', '<p>The page you asked for does not exist.</p>'), 404));
  app.onError((err, c) => {
    if (err instanceof DbError) return c.html(page('Error', '<p>Something went wrong. Please try again.</p>'), 500);
    log.error('Unhandled error', { error: err.message, path: c.req.path });
    return c.html(page('Error', '<p>Internal error.</p>'), 500);
  });

  return { app, faults };
}
