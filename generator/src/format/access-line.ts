import { MONTHS } from '@anomalog/contract';
import { SecondClock, pad2 } from './second-clock.js';

/** One request as the access log records it. */
export interface AccessRecord {
  ip: string;
  user: string;
  /** Milliseconds since the epoch. */
  ts: number;
  method: string;
  path: string;
  /** Without the '?', '' when there is none. */
  query: string;
  status: number;
  bytes: number;
  referer: string;
  ua: string;
  /** Response time in seconds. */
  rt: number;
}

/** `combined` is Apache's combined format; `nginx` appends the response time as ` rt=0.123`. */
export type AccessFormat = 'combined' | 'nginx';

/** Formats `10/Oct/2000:13:55:36 +0000` (UTC). */
export class ClfClock extends SecondClock {
  constructor() {
    super(
      (d) =>
        `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`,
    );
  }
}

export function formatAccessLine(r: AccessRecord, format: AccessFormat, clock: ClfClock): string {
  const line = `${r.ip} - ${r.user} [${clock.format(r.ts)}] "${r.method} ${r.path}${r.query ? '?' + r.query : ''} HTTP/1.1" ${r.status} ${r.bytes} "${r.referer}" "${r.ua}"`;
  return format === 'nginx' ? line + ' rt=' + seconds3(r.rt) : line;
}

/** `toFixed(3)` for non-negative seconds, several times faster. */
function seconds3(s: number): string {
  const ms = Math.round(s * 1000);
  const frac = ms % 1000;
  return `${(ms - frac) / 1000}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}

/** Escapes what Apache escapes in logged strings, so a hostile header cannot break the line. */
export function escapeLogField(value: string): string {
  return value.replace(/[\\"\x00-\x1f\x7f]/g, (c) =>
    c === '"' ? '\\"' : c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
