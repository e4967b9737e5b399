import { type DataFrame, FieldType } from '@grafana/data';
import { describe, expect, it } from 'vitest';

import { anomalyDataFromFrames } from './frames';
import { framesFromLoki, type LokiResponse } from './loki';
import { DEFAULT_FIELD_NAMES, DEFAULT_THRESHOLDS } from './types';

const read = (frames: DataFrame[]) => anomalyDataFromFrames(frames, DEFAULT_FIELD_NAMES, DEFAULT_THRESHOLDS);

const streams = (encodingFlags?: string[]): LokiResponse => ({
  status: 'success',
  data: {
    resultType: 'streams',
    encodingFlags,
    result: encodingFlags
      ? [
          {
            stream: { job: 'web' },
            values: [
              ['1700000000000000000', 'GET / 200', { structuredMetadata: { anomaly_score: '0.1', anomaly_severity: 'normal' } }],
              [
                '1700000001000000000',
                "GET /?id=1' OR 1=1 500",
                {
                  structuredMetadata: {
                    anomaly_score: '0.97',
                    anomaly_severity: 'critical',
                    anomaly_reason: 'sql injection pattern; status 500',
                    anomaly_template: 'GET <*> <*>',
                  },
                },
              ],
            ],
          },
        ]
      : [
          {
            stream: { job: 'web', anomaly_score: '0.97', anomaly_severity: 'critical', anomaly_reason: 'sql injection pattern' },
            values: [['1700000001000000000', "GET /?id=1' OR 1=1 500"]],
          },
          {
            stream: { job: 'web', anomaly_score: '0.70', anomaly_severity: 'medium', anomaly_reason: 'rare path' },
            values: [['1700000002000000000', 'GET /rare 200']],
          },
        ],
  },
});

describe('anomalyDataFromFrames', () => {
  it('reads anomaly fields sent as structured metadata and keeps them out of the stream', () => {
    const { rows, totals } = read(framesFromLoki(streams(['categorize-labels'])));
    expect(rows.map((r) => r.severity)).toEqual(['normal', 'critical']);
    expect(rows[1]).toEqual({
      time: 1700000001000,
      stream: '{job="web"}',
      labels: { job: 'web' },
      score: 0.97,
      severity: 'critical',
      reason: 'sql injection pattern; status 500',
      template: 'GET <*> <*>',
      line: "GET /?id=1' OR 1=1 500",
    });
    expect(totals).toEqual({ lines: 2, anomalies: 1, bySeverity: { normal: 1, low: 0, medium: 0, high: 0, critical: 1 } });
  });

  it('reads anomaly fields sent as stream labels, oldest row first', () => {
    const { rows } = read(framesFromLoki(streams()));
    expect(rows.map((r) => [r.time, r.severity, r.stream, r.reason])).toEqual([
      [1700000001000, 'critical', '{job="web"}', 'sql injection pattern'],
      [1700000002000, 'medium', '{job="web"}', 'rare path'],
    ]);
  });

  it("reads a burst's id, as structured metadata or as a label, and keeps it out of the stream", () => {
    const burst = (stream: Record<string, string>, metadata?: Record<string, string>): LokiResponse => ({
      status: 'success',
      data: {
        resultType: 'streams',
        encodingFlags: metadata ? ['categorize-labels'] : undefined,
        result: [
          {
            stream: { job: 'app', ...stream },
            values: [
              metadata ? ['1700000001000000000', 'reset', { structuredMetadata: metadata }] : ['1700000001000000000', 'reset'],
            ],
          },
        ],
      },
    });
    const fields = { anomaly_score: '0.46', anomaly_severity: 'low', anomaly_burst: '1@2024-03-01T13:10Z' };
    for (const response of [burst({}, fields), burst(fields)]) {
      expect(read(framesFromLoki(response)).rows.map((r) => [r.stream, r.burst])).toEqual([['{job="app"}', '1@2024-03-01T13:10Z']]);
    }
  });

  it('reads labels given as a JSON string, as older Grafana versions send them', () => {
    const frame: DataFrame = {
      length: 1,
      fields: [
        { name: 'labels', type: FieldType.other, config: {}, values: ['{"job":"app","anomaly_severity":"high","anomaly_score":"0.9"}'] },
        { name: 'Time', type: FieldType.time, config: {}, values: [5] },
        { name: 'Line', type: FieldType.string, config: {}, values: ['boom'] },
      ],
    };
    expect(read([frame]).rows).toEqual([
      { time: 5, stream: '{job="app"}', labels: { job: 'app' }, score: 0.9, severity: 'high', reason: '', template: '', line: 'boom' },
    ]);
  });

  it('reads any frame with score and severity fields named in the options', () => {
    const frame: DataFrame = {
      length: 2,
      fields: [
        { name: 'ts', type: FieldType.time, config: {}, values: [1000, 2000] },
        { name: 'risk', type: FieldType.number, config: {}, values: [0.2, 0.9] },
        { name: 'level', type: FieldType.string, config: {}, values: ['low', 'oops'] },
        { name: 'message', type: FieldType.string, config: {}, values: ['a', 'b'] },
      ],
    };
    const names = { ...DEFAULT_FIELD_NAMES, score: 'risk', severity: 'level' };
    const { rows } = anomalyDataFromFrames([frame], names, DEFAULT_THRESHOLDS);
    // a value that is no severity falls back to the thresholds applied to the score
    expect(rows.map((r) => [r.time, r.score, r.severity, r.line])).toEqual([
      [1000, 0.2, 'low', 'a'],
      [2000, 0.9, 'high', 'b'],
    ]);
  });

  it('takes the totals from counts by severity when the panel also gets them', () => {
    const matrix: LokiResponse = {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          { metric: { anomaly_severity: 'normal' }, values: [[1700000000, '90'], [1700000060, '5']] },
          { metric: { anomaly_severity: 'critical' }, values: [[1700000000, '5']] },
        ],
      },
    };
    const { rows, totals } = read([...framesFromLoki(streams(['categorize-labels'])), ...framesFromLoki(matrix)]);
    expect(rows).toHaveLength(2);
    expect(totals).toEqual({ lines: 100, anomalies: 5, bySeverity: { normal: 95, low: 0, medium: 0, high: 0, critical: 5 } });
  });

  it('ignores frames without anomaly data', () => {
    const frame: DataFrame = {
      length: 1,
      fields: [
        { name: 'Time', type: FieldType.time, config: {}, values: [1] },
        { name: 'Value', type: FieldType.number, config: {}, values: [3] },
      ],
    };
    expect(read([frame])).toEqual({
      rows: [],
      totals: { lines: 0, anomalies: 0, bySeverity: { normal: 0, low: 0, medium: 0, high: 0, critical: 0 } },
    });
  });
});
