export const pad2 = (n: number) => (n < 10 ? '0' + n : '' + n);

/** Formats a millisecond time through `render`, caching the last second: consecutive lines share it. */
export class SecondClock {
  private second = Number.NaN;
  private text = '';

  constructor(private readonly render: (d: Date) => string) {}

  format(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      this.second = second;
      this.text = this.render(new Date(second * 1000));
    }
    return this.text;
  }
}
