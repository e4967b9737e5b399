import type { ParsedLine } from '../types.js';
import { normalizeLevel } from './level.js';
import { withoutAnsi } from './text.js';
import { parseTimestampValue } from './timestamp.js';

/**
 * The keys loggers and shippers write, matched whatever their case: `log` is Docker's json-file driver and Fluent
 * Bit's, `MESSAGE`, `PRIORITY` (syslog's 0-7) and `__REALTIME_TIMESTAMP` journald's JSON export, `@m`/`@mt`, `@l`, `@t` Serilog's compact JSON,
 * `short_message` GELF's, `levelname` python-json-logger's, `severityText` OpenTelemetry's, `timeMillis` log4j2's
 * JsonLayout, `t.$date` and `s` (a level letter) MongoDB's, `time_local`/`time_iso8601` nginx's variables in a JSON
 * `log_format`, `Message`, `LevelDisplayName` and `TimeCreated` Windows events as PowerShell writes them
 * (`Get-WinEvent | ConvertTo-Json`; `TimeGenerated` for `Get-EventLog`), `EventTime` NXLog's, `start_time` Envoy's,
 * `EdgeStartTimestamp` Cloudflare's HTTP request logs (Logpush), `textPayload` and `jsonPayload.message` Google Cloud
 * Logging's entries (`gcloud logging read --format json`).
 */
const MESSAGE_KEYS = new Set([
  'msg',
  'message',
  'log',
  '@m',
  '@mt',
  'short_message',
  'textpayload',
  'jsonpayload.message',
]);
const LEVEL_KEYS = new Set([
  'level',
  'lvl',
  'severity',
  'log.level',
  'levelname',
  'loglevel',
  '@l',
  'severitytext',
  's',
  'leveldisplayname',
  'priority',
]);
/** Level keys that other logs use for something else (a task's `"priority": "high"`): a level only when one is read. */
const LEVEL_IF_READ = new Set(['s', 'priority']);
const TIME_KEYS = new Set([
  'time',
  'timestamp',
  'ts',
  '@timestamp',
  '@t',
  'timemillis',
  '__realtime_timestamp',
  't.$date',
  'time_local',
  'time_iso8601',
  'timecreated',
  'timegenerated',
  'eventtime',
  'start_time',
  'edgestarttimestamp',
]);
/** Levels of nested objects flattened into dotted keys: 4 reaches ECS's `http.response.body.bytes`. */
const MAX_DEPTH = 4;

/**
 * JSON lines: the message, level and time from the first of their keys above (a message's trailing line break
 * dropped); other numbers become `numeric`, other scalars `fields` (nested objects flattened as `a.b`, arrays as JSON
 * text). Without a message key the whole line is the message.
 */
export function parseJson(line: string): ParsedLine | undefined {
  const start = firstNonSpace(line);
  if (line.charCodeAt(start) !== 123 || line.charCodeAt(lastNonSpace(line)) !== 125) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out: ParsedLine = { fields: {}, message: line, raw: line, format: 'json' };
  let message: string | undefined;
  const numeric: Record<string, number> = {};
  let numbers = 0;
  const visit = (obj: object, prefix: string, depth: number): void => {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix + k;
      const known = key.toLowerCase();
      if (message === undefined && MESSAGE_KEYS.has(known) && typeof v === 'string') {
        const text = withoutAnsi(v);
        message = text.endsWith('\n') ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text;
        continue;
      }
      if (out.level === undefined && LEVEL_KEYS.has(known) && (typeof v === 'string' || typeof v === 'number')) {
        const level = normalizeLevel(v);
        if (level !== undefined || !LEVEL_IF_READ.has(known)) {
          out.level = level ?? String(v);
          continue;
        }
      }
      if (out.ts === undefined && TIME_KEYS.has(known)) {
        out.ts = parseTimestampValue(v);
        if (out.ts !== undefined) continue;
      }
      if (typeof v === 'number') {
        if (Number.isFinite(v)) {
          numeric[key] = v;
          numbers++;
        }
      } else if (typeof v === 'string' || typeof v === 'boolean') out.fields[key] = String(v);
      else if (Array.isArray(v)) out.fields[key] = JSON.stringify(v);
      else if (v !== null && typeof v === 'object') {
        if (depth < MAX_DEPTH) visit(v, `${key}.`, depth + 1);
        else out.fields[key] = JSON.stringify(v);
      }
    }
  };
  visit(value, '', 1);
  if (message !== undefined) out.message = message;
  if (numbers > 0) out.numeric = numeric;
  return out;
}

function firstNonSpace(s: string): number {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) <= 32) i++;
  return i;
}

function lastNonSpace(s: string): number {
  let i = s.length - 1;
  while (i > 0 && s.charCodeAt(i) <= 32) i--;
  return i;
}
