import type { Signal } from '../detectors/index.js';
import { attackHits, describeAttack } from '../features/attacks.js';
import { UA_CLASSES, uaIsScanner, uaToolName } from '../features/user-agent.js';
import { METHODS, WEB } from '../features/web.js';
import { routeOf } from '../templates/route.js';
import type { ParsedLine } from '../types.js';
import { RULE_STRENGTH } from './strength.js';
import { isRoutine, troubleSignals } from './system-evidence.js';
import { familyOf } from '../features/featurizer.js';
import { keywordWords } from '../features/keywords.js';
import { levelRank } from '../parsing/level.js';
import { clip } from '../parsing/text.js';

/**
 * bytes_z is measured against the route's median and robust spread, which a few percent of anomalies in training do
 * not move; a route's second common kind of answer (a 401 page next to a 302 redirect) reaches about 12. 15σ in
 * log bytes is a response tens to thousands of times the usual size: an export or a dump, not a page.
 */
const LARGE_RESPONSE_Z = 15;
/** Authentication failures (HTTP 401) for one client within the 60 s window; normal users fail two or three times. */
const AUTH_FAILURES = 5;
/** Characters of a method a reason shows (a binary probe's run for hundreds). */
const SHOWN = 40;
/** Answers with which a server refuses a method it does not know or allow. */
const REFUSED = new Set(['400', '405', '501']);

const NONE: Signal[] = [];

/**
 * `seen`: the count in training of the line's template (its route, or its message's shape for a line that is no
 * request), of `total`; `unparsed`: the training lines that were no request.
 */
export function webSignals(p: ParsedLine, row: ArrayLike<number>, seen: number, total: number, unparsed = 0): Signal[] {
  if (familyOf(p.format) !== 'web') return serverLineSignals(p, seen, total, unparsed);
  const attack = row[WEB.attack_sqli] + row[WEB.attack_xss] + row[WEB.attack_traversal] + row[WEB.attack_cmdi];
  const tool = UA_CLASSES[row[WEB.ua_class]] === 'tool';
  const serverError = row[WEB.status_class] === 5;
  const large = row[WEB.bytes_z] >= LARGE_RESPONSE_Z;
  const errors = Math.round(Math.pow(2, row[WEB.client_errors]) - 1);
  const authBurst = errors >= AUTH_FAILURES && p.fields.status === '401';
  const refusedMethod = row[WEB.method] === METHODS.length && REFUSED.has(p.fields.status ?? '');
  if (attack === 0 && !tool && !serverError && !large && !authBurst && !refusedMethod) return NONE;
  const out: Signal[] = [];
  if (attack > 0) {
    const { path = '', query = '' } = p.fields;
    const strength = attack > 1 ? RULE_STRENGTH.attackMulti : RULE_STRENGTH.attack;
    for (const h of attackHits(path, query, p.fields)) out.push({ kind: 'rule', strength, reason: describeAttack(h) });
  }
  if (tool) {
    const ua = p.fields.ua ?? '';
    out.push({
      kind: 'rule',
      strength: uaIsScanner(ua) ? RULE_STRENGTH.scanner : RULE_STRENGTH.tool,
      reason: `scanner or tool user agent: ${uaToolName(ua)}`,
    });
  }
  if (large) {
    const route = routeOf(p.fields.method ?? '', p.fields.path ?? '').replace(/^\S+ /, '');
    out.push({
      kind: 'rule',
      strength: RULE_STRENGTH.largeResponse,
      reason: `bytes ${Math.round(row[WEB.bytes_z])}σ above ${route} baseline`,
    });
  }
  if (authBurst) {
    const client = p.fields.ip ?? 'client';
    out.push({
      kind: 'rule',
      strength: RULE_STRENGTH.authFailures,
      reason: `client ${client}: ${errors} failed responses in the last minute, this one HTTP 401 (brute force?)`,
    });
  }
  if (refusedMethod) {
    const method = p.fields.method ?? '?';
    const probe = otherProtocol(method);
    out.push({
      kind: 'rule',
      strength: RULE_STRENGTH.refusedMethod,
      reason: probe
        ? `not an HTTP request: ${probe} (${clip(method, SHOWN)}), refused (HTTP ${p.fields.status})`
        : `unusual method ${clip(method, SHOWN)} refused (HTTP ${p.fields.status})`,
    });
  }
  if (serverError)
    out.push({ kind: 'rule', strength: RULE_STRENGTH.http5xx, reason: `HTTP ${p.fields.status ?? '5xx'}` });
  return out;
}

/**
 * A line of a web log that is no request: the server's own message (HAProxy's `Server app/app1 is DOWN, reason:
 * Layer4 timeout` between its requests), judged by its level and trouble words as a system log line is, unless its
 * template is routine in the stream, or such lines are (SERVER_LINES_SHARE). Rare in its stream, it is a second
 * opinion beside a trouble word, as rarity is for a system log's line: the web members see no request in it and call
 * it usual.
 */
function serverLineSignals(p: ParsedLine, seen: number, total: number, unparsed: number): Signal[] {
  if (unparsed > SERVER_LINES_SHARE * total || isRoutine(-Math.log10(seen / Math.max(total, 1)), seen)) return NONE;
  const level = levelRank(p.level);
  const words = keywordWords(p.message);
  if (level < 3 && words.length === 0) return NONE;
  return [
    ...troubleSignals(p, level, words),
    {
      kind: 'novel-template',
      strength: RULE_STRENGTH.serverLine,
      reason:
        seen === 0
          ? 'not a request: a message never seen in training'
          : `not a request: a message seen ${seen === 1 ? 'once' : `${seen} times`} in ${total} training lines`,
    },
  ];
}
/**
 * A web log's own messages are news while they are few. An access log that also holds the server's error log (22,000
 * lines, one in 11 nginx's `[error] open() "..." failed`, each path its own message) had 2,000 of them `medium`, 2,388
 * lines flagged against 385 with them all one template.
 */
const SERVER_LINES_SHARE = 0.05;

/**
 * What a scanner sent to a web port in another protocol, as the server logs its first bytes (nginx writes bytes
 * outside printable ASCII as `\xHH`): an SSH client's banner, a TLS handshake to a plain-HTTP port, SMB's or RDP's
 * opening packet, or other binary data.
 */
function otherProtocol(method: string): string | undefined {
  if (/^SSH-\d/.test(method)) return 'an SSH client banner';
  if (/^(?:\\x16\\x03|\x16\x03)/.test(method)) return 'a TLS handshake';
  if (/(?:\\x(?:FF|FE)|[\xff\xfe])SMB/i.test(method)) return 'an SMB negotiation';
  if (/^(?:\\x03\\x00|\x03\x00)/.test(method)) return 'an RDP or other TPKT connection request';
  if (/\\x[0-9A-F]{2}|[\x00-\x08\x0e-\x1f]/i.test(method)) return 'binary data';
  return undefined;
}
