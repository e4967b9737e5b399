import { describe, expect, it } from 'vitest';
import { withCommas } from './numbers.js';

describe('withCommas', () => {
  it("writes counts as toLocaleString('en-US') does", () => {
    for (const n of [0, 7, 999, 1000, 12_345, 100_000, 999_999, 1_000_000, 123_456_789, 2 ** 31, -1234]) {
      expect(withCommas(n)).toBe(n.toLocaleString('en-US'));
    }
  });
});
