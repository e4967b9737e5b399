import { MONTHS } from '@anomalog/contract';
import type { FormatName } from '../../types.js';

/** A log event sent as fields (the seeds' shape): `{ "timestamp", "level", "message", "ip", "status", ... }`. */
export type LogFields = Record<string, string | number | boolean | null>;

const pad = (n: number) => String(n).padStart(2, '0');

function clfTime(d: Date): string {
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} +0000`;
}

const OWN_KEYS = new Set(['timestamp', 'time', 'ts', 'level', 'message']);

export function fieldTime(fields: LogFields): Date | undefined {
  const value = fields.timestamp ?? fields.time ?? fields.ts;
  if (value === undefined || value === null || typeof value === 'boolean') return undefined;
  const d = new Date(typeof value === 'number' && value < 1e11 ? value * 1000 : value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const text = (v: LogFields[string] | undefined, fallback = '-') =>
  v === undefined || v === null || v === '' ? fallback : String(v);

function combinedLine(f: LogFields, at: Date): string {
  const request = /^([A-Z]+) (\S+)/.exec(text(f.message, ''));
  const method = text(f.method, request?.[1] ?? 'GET');
  const path = text(f.path ?? f.url ?? f.uri, request?.[2] ?? '/');
  const ua = f.ua ?? f.user_agent ?? f.userAgent;
  return `${text(f.ip)} - ${text(f.user)} [${clfTime(at)}] "${method} ${path} ${text(f.protocol, 'HTTP/1.1')}" ${text(
    f.status,
    '200',
  )} ${text(f.bytes ?? f.size)} "${text(f.referer ?? f.referrer)}" "${text(ua)}"`;
}

function logfmtValue(v: string): string {
  return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
}

/** Writes the fields as one line in the format the model was trained on, so its parser reads them back. */
export function rebuildLine(fields: LogFields, format: FormatName): string {
  const at = fieldTime(fields) ?? new Date();
  const { level, message } = fields;
  const rest = Object.fromEntries(Object.entries(fields).filter(([k]) => !OWN_KEYS.has(k)));
  switch (format) {
    case 'apache':
    case 'nginx':
      return combinedLine(fields, at);
    case 'json':
      return JSON.stringify({ time: at.toISOString(), level: level ?? undefined, msg: message ?? '', ...rest });
    default: {
      const extra = Object.entries(rest)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => `${k}=${logfmtValue(String(v))}`);
      if (format === 'logfmt') {
        return [
          `time=${at.toISOString()}`,
          level ? `level=${level}` : '',
          `msg=${logfmtValue(text(message, ''))}`,
          ...extra,
        ]
          .filter(Boolean)
          .join(' ');
      }
      return [text(fields.timestamp, at.toISOString()), text(level, ''), text(message, ''), ...extra]
        .filter(Boolean)
        .join(' ');
    }
  }
}
