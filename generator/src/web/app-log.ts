import type { LogSink } from '../sinks/sink.js';

export type AppLogFormat = 'json' | 'text';
export type Level = 'INFO' | 'WARNING' | 'ERROR';

/** The shop's application log: one event per line, JSON (default) or plain text. */
export class AppLog {
  constructor(
    private readonly sink: LogSink,
    private readonly format: AppLogFormat = 'json',
  ) {}

  info(msg: string, fields: Record<string, string | number> = {}): void {
    this.write('INFO', msg, fields);
  }

  warn(msg: string, fields: Record<string, string | number> = {}): void {
    this.write('WARNING', msg, fields);
  }

  error(msg: string, fields: Record<string, string | number> = {}): void {
    this.write('ERROR', msg, fields);
  }

  private write(level: Level, msg: string, fields: Record<string, string | number>): void {
    const ts = Date.now();
    const time = new Date(ts).toISOString();
    const line =
      this.format === 'json'
        ? JSON.stringify({ time, level, logger: 'shop', msg, ...fields })
        : `${time} ${level} shop: ${msg}${Object.entries(fields)
            .map(([k, v]) => ` ${k}=${JSON.stringify(v)}`)
            .join('')}`;
    this.sink.write('app', line, ts);
  }
}
