import { FieldType } from '@grafana/data';
import { describe, expect, it } from 'vitest';

import { framesFromLoki } from './loki';

describe('framesFromLoki', () => {
  it('builds one log frame, newest first, with the fields Grafana gives Loki logs', () => {
    const [frame] = framesFromLoki(
      {
        status: 'success',
        data: {
          resultType: 'streams',
          encodingFlags: ['categorize-labels'],
          result: [
            { stream: { job: 'a' }, values: [['1000000000', 'old', { structuredMetadata: { k: 'v' }, parsed: { p: '1' } }]] },
            { stream: { job: 'b' }, values: [['2000000000', 'new']] },
          ],
        },
      },
      'Q'
    );
    expect(frame.refId).toBe('Q');
    expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
      ['labels', FieldType.other],
      ['Time', FieldType.time],
      ['Line', FieldType.string],
      ['tsNs', FieldType.string],
      ['labelTypes', FieldType.other],
    ]);
    const column = (name: string) => frame.fields.find((f) => f.name === name)!.values;
    expect(column('Line')).toEqual(['new', 'old']);
    expect(column('Time')).toEqual([2000, 1000]);
    expect(column('labels')[1]).toEqual({ job: 'a', k: 'v', p: '1' });
    expect(column('labelTypes')[1]).toEqual({ job: 'I', k: 'S', p: 'P' });
  });

  it('reads metadata sent as a flat map (no categorize-labels) as structured metadata', () => {
    const [frame] = framesFromLoki({
      status: 'success',
      data: { resultType: 'streams', result: [{ stream: { job: 'a' }, values: [['5000000', 'x', { anomaly_severity: 'low' }]] }] },
    });
    expect(frame.fields.find((f) => f.name === 'labelTypes')!.values[0]).toEqual({ job: 'I', anomaly_severity: 'S' });
  });

  it('builds a frame per series for matrix and vector results, the labels on the value field', () => {
    const frames = framesFromLoki({
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: { anomaly_severity: 'high' }, value: [1700000000, '7'] }] },
    });
    expect(frames).toHaveLength(1);
    expect(frames[0].fields[0].values).toEqual([1700000000000]);
    expect(frames[0].fields[1]).toMatchObject({ name: 'Value', type: FieldType.number, values: [7], labels: { anomaly_severity: 'high' } });
    expect(framesFromLoki({ status: 'success', data: { resultType: 'scalar', result: [] } })).toEqual([]);
  });
});
