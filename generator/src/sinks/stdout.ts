import type { LogSink } from './sink.js';

/** Every line of both logs on standard output, as it is written. */
export function stdoutSink(out: NodeJS.WritableStream = process.stdout): LogSink {
  let written = 0;
  return {
    write(_stream, line) {
      out.write(line + '\n');
      written++;
    },
    flush: () => new Promise<void>((resolve) => out.write('', () => resolve())),
    async close() {},
    stats: () => [{ name: 'stdout', written, dropped: 0 }],
  };
}
