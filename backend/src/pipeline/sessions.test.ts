import { describe, expect, it } from 'vitest';
import { PipelineInputError } from './errors.js';
import { SessionTracker, sessionKeyRegex, type OpenSession } from './sessions.js';

describe('session tracker', () => {
  it('closes a session idle for longer than the timeout, and the rest on closeAll', () => {
    const closed: OpenSession<number>[] = [];
    const t = new SessionTracker<number>((s) => closed.push(s), 60_000);
    t.add('a', 0, 1);
    t.add('b', 1000, 2);
    t.add('a', 30_000, 3);
    t.add('a', 200_000, 4);
    expect(closed.map((s) => [s.key, s.items])).toEqual([['a', [1, 3]]]);
    t.closeAll();
    expect(closed.map((s) => [s.key, s.items])).toEqual([
      ['a', [1, 3]],
      ['b', [2]],
      ['a', [4]],
    ]);
  });

  it('closes the oldest sessions first when too many items are held', () => {
    const closed: string[] = [];
    const t = new SessionTracker<number>((s) => closed.push(s.key), Infinity, 3);
    for (const [k, v] of [
      ['a', 1],
      ['b', 2],
      ['a', 3],
      ['c', 4],
    ] as const)
      t.add(k, undefined, v);
    expect(closed).toEqual(['a']);
  });

  it('rejects an invalid key regex with a clear message', () => {
    expect(() => sessionKeyRegex('blk_(')).toThrow(PipelineInputError);
    expect(sessionKeyRegex('blk_-?\\d+').exec('x blk_-12 y')?.[0]).toBe('blk_-12');
  });
});
