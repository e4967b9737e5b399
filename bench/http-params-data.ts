/**
 * Access logs built from the labelled parameter values of ../shared/datasets/http_params (MIT, Copyright (c) 2016
 * Morzeux; see that folder's LICENSE-MIT.txt; nothing of it is copied into this repository): benign values and
 * attack values (SQL injection, XSS, command injection, path traversal) placed into the query strings of generated
 * access lines, form-encoded as a browser sends them ('+' for spaces), some double-encoded, attacks at 3% of lines.
 * Attack lines come from the same clients, user agents, routes and status mix as benign ones: only the payload
 * tells them apart.
 */
import { mulberry32 } from '@anomalog/contract';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli-run.js';

export const DATASET = join(ROOT, '..', 'shared', 'datasets', 'http_params');
export const ATTACK_CLASSES = ['sqli', 'xss', 'cmdi', 'path-traversal'] as const;

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') f += c;
      else if (text[i + 1] === '"') {
        f += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(f);
      f = '';
    } else if (c === '\n') {
      row.push(f);
      rows.push(row);
      row = [];
      f = '';
    } else if (c !== '\r') f += c;
  }
  if (f || row.length) {
    row.push(f);
    rows.push(row);
  }
  return rows;
}

/** Values by class ('norm' or an attack class) of one split (`train` or `test`). */
export function payloads(split: 'train' | 'test'): Map<string, string[]> {
  const rows = parseCsv(readFileSync(join(DATASET, `payload_${split}.csv`), 'utf8')).slice(1);
  const out = new Map<string, string[]>();
  for (const [payload, , type] of rows) {
    if (!payload) continue;
    const list = out.get(type) ?? out.set(type, []).get(type)!;
    list.push(payload);
  }
  return out;
}

/** application/x-www-form-urlencoded, as a browser sends a form. */
function formEncode(v: string): string {
  return encodeURIComponent(v)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 13_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
];
/** Form routes and the parameter that carries a dataset value; the others get ordinary values. */
const FORMS: { path: string; method: string; params: (v: string, r: () => number) => string }[] = [
  { path: '/shop/search', method: 'GET', params: (v) => `q=${v}&page=1` },
  {
    path: '/shop/account/address',
    method: 'GET',
    params: (v, r) => `street=${v}&zip=${10000 + Math.floor(r() * 40000)}&save=Save`,
  },
  {
    path: '/shop/cart/add',
    method: 'GET',
    params: (v, r) => `id=${1 + Math.floor(r() * 400)}&name=${v}&qty=${1 + Math.floor(r() * 5)}`,
  },
  { path: '/shop/login', method: 'POST', params: (v) => `user=${v}&next=%2Faccount` },
  {
    path: '/shop/register',
    method: 'GET',
    params: (v, r) => `name=${v}&email=user${Math.floor(r() * 9000)}%40mail.example&city=madrid`,
  },
];
const PAGES = [
  '/',
  '/shop/',
  '/shop/products',
  '/static/app.js',
  '/static/style.css',
  '/shop/cart',
  '/shop/help',
  '/favicon.ico',
];

export interface BuiltLog {
  path: string;
  /** Per line: 'norm', the attack class, or 'directive' (a W3C header line, neither). */
  labels: string[];
}

/**
 * How the requests are written: Apache combined; Apache's vhost_combined (`host:port` first); IIS's W3C extended
 * log (after its directives); nginx JSON (`log_format ... escape=json`, the variables' names as keys); a Go service's
 * logfmt request line; an AWS Application Load Balancer's log (the status before the request, the target an absolute
 * URL); Heroku's router log (logfmt in a syslog line, as `heroku logs` prints it: no user agent); Envoy's default
 * layout (the client forwarded, quoted after the response's flags, sizes and duration); Squid's native log (a proxy's:
 * absolute URLs, no user agent); Zeek's http.log (a network sensor's, tab-separated after its directives); Google
 * Cloud's load balancer request log as Cloud Logging exports it (a LogEntry, the request under `httpRequest`, the URL
 * absolute, the latency a duration string); AWS CloudFront's standard log (W3C fields, tab-separated, the user agent
 * URL-encoded, `time-taken` in seconds); Cloudflare's HTTP request log from Logpush (JSON, keys of its own).
 */
export const LAYOUTS = [
  'combined',
  'vhost',
  'w3c',
  'json',
  'logfmt',
  'alb',
  'heroku',
  'envoy',
  'squid',
  'zeek',
  'gcp',
  'cloudfront',
  'cloudflare',
] as const;
export type Layout = (typeof LAYOUTS)[number];

/** IIS's `#Fields:` directive for the columns `w3cRow` writes. */
export const W3C_FIELDS =
  '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status sc-bytes time-taken';

/** A request as IIS writes it under W3C_FIELDS, at `time` (ms, UTC): a space in a value as `+`, an empty one as `-`. */
export function w3cRow(r: {
  time: number;
  method: string;
  path: string;
  query: string;
  ip: string;
  ua: string;
  referer: string;
  status: string | number;
  bytes: string | number;
  ms: number;
}): string {
  const [date, clock] = new Date(r.time).toISOString().slice(0, 19).split('T');
  const plus = (s: string) => s.replaceAll(' ', '+') || '-';
  return `${date} ${clock} 10.0.0.5 ${r.method} ${plus(r.path)} ${plus(r.query)} 443 - ${r.ip} ${plus(r.ua)} ${plus(r.referer)} ${r.status} 0 0 ${r.bytes} ${r.ms}`;
}

const CLOUDFRONT_FIELDS =
  '#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end';

/** The lines a layout's log begins with: its directives, which name its columns. */
const DIRECTIVES: Partial<Record<Layout, string[]>> = {
  cloudfront: ['#Version: 1.0', CLOUDFRONT_FIELDS],
  w3c: ['#Software: Microsoft Internet Information Services 10.0', '#Version: 1.0', W3C_FIELDS],
  zeek: [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\thttp',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\treferrer\tversion\tuser_agent\trequest_body_len\tresponse_body_len\tstatus_code\tstatus_msg',
    '#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\tstring\tstring\tstring\tcount\tcount\tcount\tstring',
  ],
};

interface Request {
  t: number;
  ip: string;
  method: string;
  target: string;
  status: number;
  bytes: number;
  ua: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

function clf(d: Date): string {
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

function render(q: Request, layout: Layout): string {
  const d = new Date(Math.floor(q.t) * 1000);
  const combined = `${q.ip} - - [${clf(d)}] "${q.method} ${q.target} HTTP/1.1" ${q.status} ${q.bytes} "-" "${q.ua}"`;
  switch (layout) {
    case 'combined':
      return combined;
    case 'vhost':
      return `shop.example.com:443 ${combined}`;
    case 'w3c': {
      const [path, query = ''] = q.target.split(/\?(.*)/s);
      return w3cRow({ ...q, time: d.getTime(), path, query, referer: '-', ms: Math.round(20 + (q.t % 1) * 80) });
    }
    case 'alb': {
      const iso = d.toISOString().replace('Z', '000Z');
      return `https ${iso} app/shop-lb/50dc6c495c0c9188 ${q.ip}:${40000 + (q.bytes % 20000)} 10.0.0.5:80 0.000 0.0${pad(q.bytes % 90)} 0.000 ${q.status} ${q.status} 420 ${q.bytes} "${q.method} https://shop.example.com:443${q.target} HTTP/1.1" "${q.ua}" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop/73e2d6bc24d8a067 "Root=1-${Math.floor(q.t).toString(16)}-36d228ad5d99923122bbe354" "shop.example.com" "-" 0 ${iso} "forward" "-" "-" "10.0.0.5:80" "${q.status}" "-" "-"`;
    }
    case 'zeek':
      return [
        q.t.toFixed(6),
        `C${Math.floor(q.t * 1000).toString(36)}`,
        q.ip,
        40000 + (q.bytes % 20000),
        '10.0.0.5',
        80,
        1,
        q.method,
        'shop.example.com',
        q.target,
        '-',
        '1.1',
        q.ua,
        0,
        q.bytes,
        q.status,
        'OK',
      ].join('\t');
    case 'squid':
      return `${q.t.toFixed(3)} ${String(Math.round(20 + (q.t % 1) * 80)).padStart(6)} ${q.ip} TCP_MISS/${q.status} ${q.bytes} ${q.method} http://shop.example.com${q.target} - HIER_DIRECT/10.0.0.5 text/html`;
    case 'envoy':
      return `[${d.toISOString()}] "${q.method} ${q.target} HTTP/1.1" ${q.status} - 0 ${q.bytes} ${Math.round(20 + (q.t % 1) * 80)} ${Math.round(15 + (q.t % 1) * 70)} "${q.ip}" "${q.ua}" "${Math.floor(q.t * 1000).toString(16)}" "shop.example.com" "10.0.0.5:8080"`;
    case 'heroku':
      return `${d.toISOString().replace('Z', '000+00:00')} heroku[router]: at=info method=${q.method} path=${JSON.stringify(q.target)} host=shop.herokuapp.com request_id=${Math.floor(q.t * 1000).toString(16)} fwd="${q.ip}" dyno=web.${1 + (q.bytes % 3)} connect=0ms service=${Math.round(20 + (q.t % 1) * 80)}ms status=${q.status} bytes=${q.bytes} protocol=https`;
    case 'logfmt':
      return `ts=${d.toISOString()} caller=http.go:88 method=${q.method} path=${JSON.stringify(q.target)} status=${q.status} size=${q.bytes} remote_addr=${q.ip} user_agent=${JSON.stringify(q.ua)}`;
    case 'cloudfront': {
      const [path, query = '-'] = q.target.split(/\?(.*)/s);
      const [date, clock] = d.toISOString().slice(0, 19).split('T');
      const seconds = (0.02 + (q.t % 1) * 0.08).toFixed(3);
      return [
        date,
        clock,
        'FRA56-C1',
        q.bytes,
        q.ip,
        q.method,
        'd111111abcdef8.cloudfront.net',
        path,
        q.status,
        '-',
        encodeURIComponent(q.ua),
        query || '-',
        '-',
        'Miss',
        Math.floor(q.t * 1000).toString(36),
        'shop.example.com',
        'https',
        420,
        seconds,
        '-',
        'TLSv1.3',
        'TLS_AES_128_GCM_SHA256',
        'Miss',
        'HTTP/2.0',
        '-',
        '-',
        40000 + (q.bytes % 20000),
        seconds,
        'Miss',
        'text/html',
        q.bytes,
        '-',
        '-',
      ].join('\t');
    }
    case 'cloudflare':
      return JSON.stringify({
        ClientIP: q.ip,
        ClientRequestHost: 'shop.example.com',
        ClientRequestMethod: q.method,
        ClientRequestURI: q.target,
        ClientRequestProtocol: 'HTTP/2',
        ClientRequestUserAgent: q.ua,
        ClientRequestReferer: '',
        EdgeResponseBytes: q.bytes,
        EdgeResponseStatus: q.status,
        EdgeStartTimestamp: d.toISOString(),
        EdgeEndTimestamp: d.toISOString(),
        RayID: Math.floor(q.t * 1000).toString(16),
        CacheCacheStatus: 'miss',
        OriginResponseStatus: q.status,
      });
    case 'gcp':
      return JSON.stringify({
        insertId: Math.floor(q.t * 1000).toString(36),
        httpRequest: {
          requestMethod: q.method,
          requestUrl: `https://shop.example.com${q.target}`,
          requestSize: '420',
          status: q.status,
          responseSize: String(q.bytes),
          userAgent: q.ua,
          remoteIp: q.ip,
          serverIp: '10.0.0.5',
          latency: `${(0.02 + (q.t % 1) * 0.08).toFixed(6)}s`,
          protocol: 'HTTP/1.1',
        },
        resource: { type: 'http_load_balancer', labels: { project_id: 'shop', backend_service_name: 'web' } },
        timestamp: d.toISOString(),
        severity: 'INFO',
        logName: 'projects/shop/logs/requests',
        jsonPayload: { statusDetails: 'response_sent_by_backend' },
        receiveTimestamp: d.toISOString(),
      });
    case 'json':
      return JSON.stringify({
        time_local: clf(d),
        remote_addr: q.ip,
        request: `${q.method} ${q.target} HTTP/1.1`,
        status: q.status,
        body_bytes_sent: q.bytes,
        http_referer: '',
        http_user_agent: q.ua,
      });
  }
}

/**
 * Writes `lines` access lines: 45% plain pages, the rest form requests carrying a benign value, and `attackRate`
 * of all lines carrying an attack value (classes drawn evenly, values drawn from the class). 15% of the values
 * are encoded twice. `layout` says how they are written (LAYOUTS); the requests are the same in every layout.
 */
export function buildLog(
  out: string,
  split: 'train' | 'test',
  lines: number,
  seed: number,
  layout: Layout = 'combined',
  attackRate = 0.03,
): BuiltLog {
  const r = mulberry32(seed);
  const values = payloads(split);
  const benign = values.get('norm')!;
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
  const ips = Array.from(
    { length: 400 },
    () => `10.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`,
  );
  const labels: string[] = [];
  const text: string[] = [];
  for (const directive of DIRECTIVES[layout] ?? []) {
    text.push(directive);
    labels.push('directive');
  }
  let t = Date.UTC(2024, 2, 1) / 1000;
  for (let i = 0; i < lines; i++) {
    t += r() * 0.5;
    const attack = r() < attackRate;
    let label = 'norm';
    let target: string;
    let method = 'GET';
    if (attack || r() < 0.55) {
      label = attack ? pick(ATTACK_CLASSES) : 'norm';
      const raw = attack ? pick(values.get(label)!) : pick(benign);
      let v = formEncode(raw);
      if (r() < 0.15) v = formEncode(v);
      const form = pick(FORMS);
      method = form.method;
      target = `${form.path}?${form.params(v, r)}`;
    } else {
      target = pick(PAGES);
    }
    const status = r() < 0.93 ? 200 : pick([302, 304, 404, 500]);
    const bytes = Math.round(500 + r() * 9000);
    text.push(render({ t, ip: pick(ips), method, target, status, bytes, ua: pick(UAS) }, layout));
    labels.push(label);
  }
  writeFileSync(out, `${text.join('\n')}\n`);
  return { path: out, labels };
}

/** F1 and per-class recall of flagged lines against the labels. */
export function quality(labels: readonly string[], flagged: readonly boolean[]): Record<string, number> {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let benign = 0;
  const byClass: Record<string, [number, number]> = {};
  labels.forEach((label, i) => {
    const f = flagged[i] ?? false;
    if (label === 'directive') return;
    if (label === 'norm') {
      benign++;
      if (f) fp++;
      return;
    }
    const c = (byClass[label] ??= [0, 0]);
    c[1]++;
    if (f) {
      tp++;
      c[0]++;
    } else fn++;
  });
  const precision = tp / Math.max(1, tp + fp);
  const recall = tp / Math.max(1, tp + fn);
  const out: Record<string, number> = {
    precision: round3(precision),
    recall: round3(recall),
    f1: round3((2 * precision * recall) / Math.max(1e-9, precision + recall)),
    fpr_benign: Math.round((fp / Math.max(1, benign)) * 10000) / 10000,
  };
  for (const c of ATTACK_CLASSES) if (byClass[c]) out[`recall_${c}`] = round3(byClass[c][0] / byClass[c][1]);
  return out;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
