import { describe, expect, it } from 'vitest';
import { flowLog, zeekConnLog, type FlowLayout } from '../../test/fixtures/logs.js';
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

  const layouts: [FlowLayout, string, string][] = [
    ['vpc', 'an AWS VPC flow log with its header line (S3)', 'csv'],
    ['vpc-cloudwatch', 'an AWS VPC flow log without it (CloudWatch Logs)', 'csv'],
    ['pfirewall', "Windows Firewall's pfirewall.log", 'csv'],
    ['fortigate', "a FortiGate's traffic log", 'logfmt'],
  ];
  for (const [layout, name, format] of layouts)
    it(`flags a port sweep in ${name}`, async () => {
      const lines = flowLog(60, { scan: { minute: 30, ports: 200 }, layout });
      const model = await train(lines, { seed: 1 });
      expect(model.format).toBe(format);
      const scorer = createScorer(model);
      const scored = [...scorer.pushBatch(lines), ...scorer.end()];
      const sweep = scored.filter((s) => / (?:srcip=)?198\.51\.100\.7 /.test(s.line));
      expect(sweep).toHaveLength(200);
      expect(sweep.slice(25).every((s) => s.anomaly && s.reasons.some((r) => r.includes('a scan?')))).toBe(true);
      expect(sweep[199].reasons).toContain(
        'source 198.51.100.7 reached 200 destinations (host and port) within a minute: a scan? (sources reach at most 25 a minute unless they do so all the time)',
      );
      const others = scored.filter((s) => !sweep.includes(s));
      expect(others.filter((s) => s.anomaly).length / others.length).toBeLessThan(0.005);
    });
});
