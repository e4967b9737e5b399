import { describe, expect, it } from 'vitest';
import { createParser } from './index.js';
import { userRegExp } from './user-regex.js';

/**
 * `run()`'s result and whether it came back within a second. Each input below is sized to take 2-11 s in V8's
 * backtracking engine alone and a few milliseconds bounded: a test cannot stop a regex that runs on, but it can say
 * it ran 1,000 times too long.
 */
function bounded<T>(run: () => T): { value: T; quick: boolean } {
  const start = performance.now();
  const value = run();
  return { value, quick: performance.now() - start < 1000 };
}

describe('userRegExp', () => {
  it('runs patterns that backtrack exponentially or cubically in linear time, with the same answers', () => {
    const nested = userRegExp('(a+)+$');
    expect(bounded(() => nested.test(`${'a'.repeat(27)}!`))).toEqual({ value: false, quick: true });
    expect(nested.exec(`b${'a'.repeat(5000)}`)?.index).toBe(1);
    const cubic = userRegExp('^(?<a>.*)(?<b>.*)(?<c>.*)x$');
    expect(bounded(() => cubic.test('y'.repeat(3000)))).toEqual({ value: false, quick: true });
    expect(cubic.exec('abcx')?.groups).toEqual({ a: 'abc', b: '', c: '' });
  });

  it('refuses what cannot run in linear time, saying what, and passes syntax errors on', () => {
    for (const source of ['(a)\\1', '(?<w>a)\\k<w>', 'x(?=y)', 'x(?!y)', '(?<=blk_)\\d+', '(?<!-)\\d+'])
      expect(() => userRegExp(source), source).toThrow(/backreferences .* and lookaround .* cannot run in linear time/);
    expect(() => userRegExp('(')).toThrow(/Unterminated group/);
  });

  it("bounds a custom format's pattern: a line it would backtrack on for seconds parses as generic at once", () => {
    const parser = createParser('custom', { pattern: '^(?<level>(\\w+\\s?)+)$' });
    expect(parser.parse('INFO started').level).toBe('INFO started');
    expect(bounded(() => parser.parse(`${'word '.repeat(9)}!`).format)).toEqual({ value: 'generic', quick: true });
  });
});
