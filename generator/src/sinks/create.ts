import { fileSink } from './file.js';
import { lokiSink } from './loki.js';
import type { LogSink, SinkSpec } from './sink.js';
import { stdoutSink } from './stdout.js';

export * from './sink.js';
export { fileSink, RotatingFile } from './file.js';
export { lokiSink } from './loki.js';
export { stdoutSink } from './stdout.js';

export function createSink(spec: SinkSpec): LogSink {
  switch (spec.kind) {
    case 'file':
      return fileSink(spec);
    case 'stdout':
      return stdoutSink();
    case 'loki':
      return lokiSink(spec);
  }
}

/** Several sinks behind one: every line goes to each of them. */
export function combineSinks(sinks: LogSink[]): LogSink {
  return {
    write(stream, line, ts) {
      for (const s of sinks) s.write(stream, line, ts);
    },
    flush: async () => void (await Promise.all(sinks.map((s) => s.flush()))),
    close: async () => void (await Promise.all(sinks.map((s) => s.close()))),
    stats: () => sinks.flatMap((s) => s.stats()),
  };
}
