import { withCommas } from './numbers.js';

const WIDTH = 30;

/**
 * A one-line progress bar on stderr, drawn only on a terminal and at most every 100 ms: silent in pipes, CI and
 * tests. With a `unit` it also shows the counts and the rate (`1,200/5,000 lines 3,400 lines/s`).
 */
export class ProgressBar {
  private last = 0;
  private drawn = false;
  private readonly started = performance.now();

  constructor(
    private readonly label: string,
    private readonly opts: { unit?: string; stream?: NodeJS.WriteStream; enabled?: boolean } = {},
  ) {}

  private get stream(): NodeJS.WriteStream {
    return this.opts.stream ?? process.stderr;
  }

  /** `done` of `total` (a share when total > 0, else just the count), with an optional note. */
  update(done: number, total: number, note = ''): void {
    if (!(this.opts.enabled ?? this.stream.isTTY === true)) return;
    const now = performance.now();
    if (now - this.last < 100 && done < total) return;
    this.last = now;
    const share = total > 0 ? Math.min(1, done / total) : 0;
    const bar =
      total > 0
        ? `[${'#'.repeat(Math.round(share * WIDTH)).padEnd(WIDTH, '.')}] ${(share * 100).toFixed(0).padStart(3)}%`
        : '';
    const { unit } = this.opts;
    const rate = done / Math.max(1e-3, (now - this.started) / 1000);
    const counts = unit
      ? ` ${withCommas(done)}${total > 0 ? `/${withCommas(total)}` : ''} ${unit} ${withCommas(Math.round(rate))} ${unit}/s`
      : '';
    const text = `\r${this.label} ${bar}${counts} ${note}`;
    // A terminal of unknown width reports 0 columns (script, some CI consoles): that cut "2,000 lines" to "2,000 line".
    const columns = this.stream.columns || 100;
    this.stream.write(`${text.slice(0, columns).padEnd(20)}\x1b[K`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
