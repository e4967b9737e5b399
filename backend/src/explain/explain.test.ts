import { describe, expect, it } from 'vitest';
import { buildSchema, WEB } from '../features/index.js';
import { UA_CLASSES } from '../features/user-agent.js';
import { explain, type ExplainInput } from './index.js';
import { sessionFindings, stepName } from './session.js';

const schema = buildSchema('apache', []);
const n = schema.names.length;
const flat = (v: number) => new Array<number>(n).fill(v);

function input(row: number[], over: Partial<ExplainInput> = {}): ExplainInput {
  return {
    schema,
    stats: { mean: flat(0), std: flat(1), min: flat(-3), max: flat(3) },
    web: { bytes: { mean: [], std: [] }, rt: { mean: [], std: [] }, clientRate: 3 },
    trainingLines: 10_000,
    parsed: {
      raw: '',
      message: 'GET /api/orders',
      fields: { ip: '10.0.0.7', method: 'GET', path: '/api/orders' },
      format: 'apache',
    },
    hit: { id: 4, template: 'GET /api/orders', params: [], count: 900 },
    row,
    signals: [],
    attributions: [],
    ...over,
  };
}

describe('reasons', () => {
  it('puts signals first, strongest first, then what the detector leans on, in words', () => {
    const row = flat(0);
    row[WEB.bytes_z] = 14.2;
    row[WEB.client_rate] = Math.log2(1 + 120 / 3);
    const share = flat(0);
    share[WEB.bytes_z] = 0.5;
    share[WEB.client_rate] = 0.3;
    share[WEB.path_length] = 0.2; // leaned on, but its value is ordinary: not a reason
    const reasons = explain(
      input(row, {
        signals: [
          { kind: 'rule', strength: 0.35, reason: 'HTTP 503' },
          { kind: 'rule', strength: 0.9, reason: 'SQL injection pattern: UNION SELECT' },
        ],
        attributions: [{ kind: 'share', values: share }],
      }),
    );
    expect(reasons).toEqual([
      'SQL injection pattern: UNION SELECT',
      'HTTP 503',
      'bytes 14σ above /api/orders baseline',
      "client 10.0.0.7 sent 120 requests/min, 40× the typical client's rate",
    ]);
  });

  it('says how much worse the autoencoder reconstructs a feature', () => {
    const row = flat(0);
    row[WEB.bytes_z] = -6;
    const errors = flat(1);
    errors[WEB.bytes_z] = 9.2;
    expect(explain(input(row, { attributions: [{ kind: 'error', values: errors }] }))).toEqual([
      'bytes 6σ below /api/orders baseline, outside the learned pattern',
    ]);
  });

  it("states a feature once, whether a rule, the forest or the autoencoder points at it, with the autoencoder's figure", () => {
    const row = flat(0);
    row[WEB.bytes_z] = -6;
    row[WEB.ua_class] = UA_CLASSES.indexOf('tool');
    row[WEB.special_chars] = 7;
    const share = flat(0);
    share[WEB.special_chars] = 0.6;
    share[WEB.bytes_z] = 0.3;
    const errors = flat(1);
    errors[WEB.special_chars] = 900;
    errors[WEB.ua_class] = 40;
    errors[WEB.bytes_z] = 9.2;
    const tool = { kind: 'rule' as const, strength: 0.3, reason: 'scanner or tool user agent: sqlmap' };
    const parsed = { ...input([]).parsed, fields: { ...input([]).parsed.fields, ua: 'sqlmap/1.7' } };
    const reasons = explain(
      input(row, {
        parsed,
        signals: [tool],
        attributions: [
          { kind: 'share', values: share },
          { kind: 'error', values: errors },
        ],
      }),
    );
    expect(reasons).toEqual([
      'scanner or tool user agent: sqlmap, well outside the learned pattern',
      '7 special characters in the request, far outside the learned pattern',
      'bytes 6σ below /api/orders baseline, outside the learned pattern',
    ]);
  });

  it('says an anomaly of ordinary values is an unusual combination, led by the feature the detector leans on most', () => {
    const row = flat(0);
    row[WEB.path_length] = 1;
    const share = flat(0.02);
    share[WEB.path_length] = 0.4;
    expect(explain(input(row, { attributions: [{ kind: 'share', values: share }] }))).toEqual([
      'unusual combination of values, led by path of 1 characters (typical 0)',
    ]);
    expect(explain(input(row))).toEqual(['unusual combination of values']);
  });

  it('describes out-of-range values instead of quoting feature names', () => {
    const row = flat(0);
    row[WEB.bytes_z] = 42.9;
    row[WEB.attack_sqli] = 1;
    const ranges = flat(0).map(() => ({ min: -1, max: 1 }));
    const reasons = explain(
      input(row, {
        ranges,
        signals: [{ kind: 'out-of-range', strength: 0.85, reason: 'bytes_z = 42.9 outside [-1, 1]' }],
      }),
    );
    expect(reasons).toEqual(['bytes 43σ above /api/orders baseline']);
  });
});

describe('session findings', () => {
  const shape = {
    lifecycle: [1, 2, 3],
    orderRules: [[1, 3] as const],
    text: (id: number) =>
      ({
        1: 'Receiving block <*> src: <*> dest: <*>',
        2: 'BLOCK* NameSystem.addStoredBlock: blockMap updated: <*> is added to <*> size <*>',
        3: 'PacketResponder <*> for block <*> terminating',
      })[id] ?? '?',
  };

  it('names a missing lifecycle step and a step out of order', () => {
    expect(sessionFindings([3, 1, 3], shape)).toEqual([
      "step 'addStoredBlock' missing from the usual lifecycle",
      "step 'PacketResponder for block' came before 'Receiving block src'",
    ]);
    expect(sessionFindings([1, 2, 3], shape)).toEqual([]);
  });

  it('shortens templates to step names', () => {
    expect(stepName('BLOCK* NameSystem.allocateBlock: <*>')).toBe('allocateBlock');
    expect(stepName('Verification succeeded for <*>')).toBe('Verification succeeded for');
  });
});
