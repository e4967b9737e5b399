/** A one-line progress bar on stderr, drawn only on a TTY and at most every 100 ms. */
export class ProgressBar {
  private last = 0;
  private drawn = false;
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    enabled = process.stderr.isTTY === true,
  ) {
    this.enabled = enabled;
  }

  /** `done` of `total` (a share when total > 0, else just the count), with an optional note. */
  update(done: number, total: number, note = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    const width = 30;
    const share = total > 0 ? Math.min(1, done / total) : 0;
    const bar = total > 0 ? `[${'#'.repeat(Math.round(share * width)).padEnd(width, '.')}] ${(share * 100).toFixed(0).padStart(3)}%` : '';
    process.stderr.write(`\r${this.label} ${bar} ${note}`.slice(0, (process.stderr.columns ?? 100) - 1).padEnd(20) + '\x1b[K');
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) process.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}
