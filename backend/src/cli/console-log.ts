import type { Logger } from 'pino';
import pc from 'picocolors';
import type { Config } from '../config/index.js';
import { createLogger } from '../service/context.js';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** pino's own keys, not shown as key=value. */
const OWN = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/**
 * The logger of `anomalog start`: on a terminal (log.format auto) or with log.format pretty, one readable line per
 * record (`15:04:05 WARN stream not watched: no model for it stream={job="x"}`); otherwise pino's JSON lines, which
 * log collectors read.
 */
export function consoleLogger(config: Config, out: NodeJS.WriteStream = process.stdout): Logger {
  const { format } = config.log;
  if (format === 'json' || (format === 'auto' && !out.isTTY)) return createLogger(config);
  const c = pc.createColors(out.isTTY === true && pc.isColorSupported);
  return createLogger(config, { write: (json: string) => void out.write(oneLine(JSON.parse(json), c)) });
}

/** One pino record as a line: time, level, message, then its fields as key=value. */
export function oneLine(record: Record<string, unknown>, c: ReturnType<typeof pc.createColors> = pc): string {
  const level = LEVELS[record.level as number] ?? String(record.level);
  const paint = (record.level as number) >= 50 ? c.red : (record.level as number) >= 40 ? c.yellow : c.dim;
  const time = new Date((record.time as number) ?? Date.now()).toTimeString().slice(0, 8);
  const fields = Object.entries(record)
    .filter(([key]) => !OWN.has(key))
    .map(([key, value]) => `${key}=${text(value)}`);
  return `${c.dim(time)} ${paint(level.padEnd(5))} ${record.msg ?? ''}${fields.length > 0 ? c.dim(` ${fields.join(' ')}`) : ''}\n`;
}

function text(value: unknown): string {
  if (value && typeof value === 'object' && 'message' in value) return text((value as { message: unknown }).message);
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"]/.test(s) ? JSON.stringify(s) : s;
}
