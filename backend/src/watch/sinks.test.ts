import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLoki, type FakeLoki } from '../../testkit/fake-loki.js';
import type { ScoredLine } from '../types.js';
import { consoleSink, lokiSink, type Anomaly } from './sinks.js';

const anomaly = (n: number, burst?: string): Anomaly => {
  const scored: ScoredLine = {
    ts: n,
    line: `line ${n}`,
    labels: { job: 'app' },
    template: 'line <*>',
    score: 0.46,
    severity: 'low',
    anomaly: true,
    reasons: [burst ? 'burst: 12 lines of this template in the minute from 2024-03-01 10:25' : 'rare template'],
    detector: 'app/ensemble@00000000',
    burst,
  };
  return { ts: BigInt(n) * 1_000_000n, scored };
};

describe('sinks show a burst as one event', () => {
  let loki: FakeLoki;
  beforeAll(async () => {
    loki = await startFakeLoki();
  });
  afterAll(() => loki.close());

  it('console: the first line of a burst with its count, its lines in later batches as one line of count', async () => {
    const printed: string[] = [];
    const sink = consoleSink((t) => printed.push(t), { color: false });
    await sink.send([anomaly(1, 'A'), anomaly(2), anomaly(3, 'A'), anomaly(4, 'A')]);
    expect(printed).toHaveLength(2);
    expect(printed[0]).toContain('line 1 [burst A: 3 lines] <- burst: 12 lines');
    expect(printed[1]).toContain('line 2 <- rare template');
    await sink.send([anomaly(5, 'A'), anomaly(6, 'A'), anomaly(7, 'B')]);
    expect(printed.slice(2)).toEqual([
      expect.stringContaining('line 7 [burst B: 1 line]'),
      '         burst A: 2 more lines\n',
    ]);
  });

  it('Loki: one entry per burst, with its id and count of lines; a burst whose push failed is pushed on the retry', async () => {
    const sink = lokiSink(loki.url);
    await sink.send([anomaly(1, 'A'), anomaly(2), anomaly(3, 'A')]);
    const entries = () => [...loki.streams.values()].flatMap((s) => s.entries).sort((a, b) => Number(a.ts - b.ts));
    expect(entries().map((e) => [e.line, e.metadata.anomaly_burst, e.metadata.burst_lines])).toEqual([
      ['line 1', 'A', '2'],
      ['line 2', undefined, undefined],
    ]);
    loki.setDown(true);
    await expect(sink.send([anomaly(4, 'A'), anomaly(5, 'B')])).rejects.toThrow();
    loki.setDown(false);
    await sink.send([anomaly(4, 'A'), anomaly(5, 'B')]);
    expect(entries().map((e) => e.line)).toEqual(['line 1', 'line 2', 'line 5']);
  });
});
