import { CliError } from '@anomalog/cli-kit';

/** The two logs the web app writes. */
export type LogStream = 'access' | 'app';

export interface LogSink {
  /** Never throws and never blocks; a sink that cannot keep a line counts it in `stats().dropped`. */
  write(stream: LogStream, line: string, ts: number): void;
  /** Resolves once everything written so far is delivered (or counted as dropped). */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** One entry per underlying sink. */
  stats(): SinkStats[];
}

export interface SinkStats {
  name: string;
  written: number;
  dropped: number;
}

export type SinkSpec =
  | { kind: 'file'; dir: string; maxBytes?: number; maxFiles?: number }
  | { kind: 'stdout' }
  | {
      kind: 'loki';
      url: string;
      /** Extra stream labels; each log also gets `job` (web or app). */
      labels?: Record<string, string>;
      tenant?: string;
      batchLines?: number;
      batchBytes?: number;
      flushMs?: number;
      maxQueue?: number;
      maxRetries?: number;
    };

/** Parses `file:DIR`, `stdout` or `loki:URL` (the CLI's --sink). Throws a one-line message on anything else. */
export function parseSinkSpec(text: string): SinkSpec {
  if (text === 'stdout') return { kind: 'stdout' };
  if (text.startsWith('file:') && text.length > 5) return { kind: 'file', dir: text.slice(5) };
  if (text.startsWith('loki:')) {
    const url = text.slice(5);
    if (!/^https?:\/\/[^/]+/.test(url)) throw new CliError(`--sink ${text}: expected loki:http://host:port`, 2);
    return { kind: 'loki', url: url.replace(/\/+$/, '') };
  }
  throw new CliError(`--sink ${text}: expected file:DIR, stdout or loki:URL`, 2);
}

/** Streams labels in Loki and the file names on disk. */
export const STREAM_JOB: Record<LogStream, string> = { access: 'web', app: 'app' };
