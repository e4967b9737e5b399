import { describe, expect, it } from 'vitest';
import { ProgressBar } from './progress.js';

function terminal(columns: number) {
  const written: string[] = [];
  const stream = { isTTY: true, columns, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('ProgressBar', () => {
  it.each([0, 120])('shows the whole note on a terminal of %i columns', (columns) => {
    const { stream, written } = terminal(columns);
    const bar = new ProgressBar('scoring', { stream });
    bar.update(100, 100, '2,000 lines');
    expect(written.join('')).toContain('scoring [##############################] 100% 2,000 lines\x1b[K');
  });

  it('cuts a line longer than the terminal, never wrapping it', () => {
    const { stream, written } = terminal(30);
    new ProgressBar('scoring', { stream }).update(1, 2, 'a note that does not fit');
    expect(written[0].replace('\x1b[K', '')).toHaveLength(30);
  });
});
