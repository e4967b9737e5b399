export { mulberry32 } from '@anomalog/contract';

/** Fisher-Yates shuffle of `a` in place. */
export function shuffle<T extends { length: number; [i: number]: number }>(a: T, rand: () => number): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}
