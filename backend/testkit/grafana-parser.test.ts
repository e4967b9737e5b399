import { describe, expect, it } from 'vitest';
import { GrafanaParseError, parseLokiResponse, timeFromFloat } from './grafana-parser.js';

const streams = (data: object) => JSON.stringify({ status: 'success', data });
const value3 = ['1767225600000000000', 'line', { structuredMetadata: { anomaly_score: '0.5' } }];

describe('the port of Grafana prom.go', () => {
  it('reads categorized streams only when encodingFlags comes before result', () => {
    const ok = parseLokiResponse(
      streams({
        resultType: 'streams',
        encodingFlags: ['categorize-labels'],
        result: [{ stream: { job: 'web' }, values: [value3] }],
      }),
    );
    expect(ok).toMatchObject({
      kind: 'streams',
      categorized: true,
      rows: [{ labels: { job: 'web', anomaly_score: '0.5' }, types: { job: 'I', anomaly_score: 'S' } }],
    });
    expect(() =>
      parseLokiResponse(
        streams({
          resultType: 'streams',
          result: [{ stream: {}, values: [value3] }],
          encodingFlags: ['categorize-labels'],
        }),
      ),
    ).toThrow(GrafanaParseError);
    // a result before resultType is kept and read when resultType arrives
    expect(
      parseLokiResponse(
        streams({ result: [{ stream: {}, values: [['1767225600000000000', 'x']] }], resultType: 'streams' }),
      ).kind,
    ).toBe('streams');
  });

  it('wants [number, "string"] samples and truncates times as timeFromFloat does', () => {
    expect(() =>
      parseLokiResponse(streams({ resultType: 'matrix', result: [{ metric: {}, values: [['1767225600', '1']] }] })),
    ).toThrow(/not a number/);
    expect(() =>
      parseLokiResponse(streams({ resultType: 'matrix', result: [{ metric: {}, values: [[1767225600, 1]] }] })),
    ).toThrow(/expected a string/);
    expect(timeFromFloat(1767225600.123)).toBe(1767225600123);
    // what Number(ns) / 1e9 did: some milliseconds come back one early
    const early = Array.from({ length: 1000 }, (_, i) => 1767225600000 + i).filter(
      (ms) => timeFromFloat(Number(BigInt(ms) * 1_000_000n) / 1e9) !== ms,
    );
    expect(early.length).toBeGreaterThan(50);
    expect(early.every((ms) => timeFromFloat(Number(BigInt(ms) * 1_000_000n) / 1e9) === ms - 1)).toBe(true);
  });

  it('turns status error into "<errorType>: <error>" and keeps warnings', () => {
    expect(parseLokiResponse(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }))).toEqual(
      { kind: 'error', error: 'bad_data: parse error' },
    );
    const warned = parseLokiResponse(
      JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] }, warnings: ['w'] }),
    );
    expect(warned).toEqual({ kind: 'vector', frames: [], warnings: ['w'] });
  });
});
