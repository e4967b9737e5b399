import { describe, expect, it } from 'vitest';
import { vpcFlowLog, zeekConnLog } from '../../test/fixtures/logs.js';
import { createScorer, train } from './index.js';

describe("a network sensor's connections", () => {
  it('flags a port sweep that the file itself holds, from its 26th connection, and not a resolver that is always busy', async () => {
    const lines = zeekConnLog(120, { scan: { minute: 70, ports: 300 }, resolver: true });
    const model = await train(lines, { seed: 1 });
    expect(model.format).toBe('zeek');
    expect(model.fanout?.steady).toEqual({ '10.1.0.53': 60 });
    const scorer = createScorer(model);
    const scored = [...scorer.pushBatch(lines), ...scorer.end()];
    const sweep = scored.filter((s) => s.line.includes('\t10.0.3.99\t'));
    expect(sweep).toHaveLength(300);
    expect(sweep.slice(0, 25).filter((s) => s.reasons.some((r) => r.includes('a scan?')))).toEqual([]);
    expect(sweep.slice(25).every((s) => s.anomaly && s.severity !== 'low')).toBe(true);
    expect(sweep[299].reasons).toContain(
      'source 10.0.3.99 reached 300 destinations (host and port) within a minute: a scan? (sources reach at most 25 a minute unless they do so all the time)',
    );
    const others = scored.filter((s) => !s.line.includes('\t10.0.3.99\t') && !s.line.startsWith('#'));
    expect(others.filter((s) => s.reasons.some((r) => r.includes('a scan?')))).toEqual([]);
    expect(others.filter((s) => s.anomaly).length / others.length).toBeLessThan(0.005);
  });

  for (const header of [true, false])
    it(`flags a port sweep in an AWS VPC flow log ${header ? 'with its header line (S3)' : 'without it (CloudWatch Logs)'}`, async () => {
      const lines = vpcFlowLog(60, { scan: { minute: 30, ports: 200 }, header });
      const model = await train(lines, { seed: 1 });
      expect(model.format).toBe('csv');
      const scorer = createScorer(model);
      const scored = [...scorer.pushBatch(lines), ...scorer.end()];
      const sweep = scored.filter((s) => s.line.includes(' 198.51.100.7 '));
      expect(sweep).toHaveLength(200);
      expect(sweep.slice(25).every((s) => s.anomaly && s.reasons.some((r) => r.includes('a scan?')))).toBe(true);
      expect(sweep[199].reasons[0]).toBe(
        'source 198.51.100.7 reached 200 destinations (host and port) within a minute: a scan? (sources reach at most 25 a minute unless they do so all the time)',
      );
      const others = scored.filter((s) => !s.line.includes(' 198.51.100.7 ') && !s.line.startsWith('version'));
      expect(others.filter((s) => s.anomaly).length / others.length).toBeLessThan(0.005);
    });
});
