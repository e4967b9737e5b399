import { describe, expect, it } from 'vitest';

import { feedbackRequest, grafanaFeedbackBase, patternKey, undoRequest } from './feedback';
import type { AnomalyRow } from './types';

const row: AnomalyRow = {
  time: 1_700_000_000_000,
  stream: '{job="web", service_name="web"}',
  labels: { job: 'web', service_name: 'web' },
  score: 0.97,
  severity: 'critical',
  reason: 'unusual path',
  template: 'GET /cgi-bin/<*>',
  line: 'GET /cgi-bin/../../etc/passwd',
};

describe('the panel\'s feedback requests', () => {
  it('go to the backend through Grafana\'s data source proxy, naming the stream and the pattern', () => {
    const base = grafanaFeedbackBase('anomalog-ds');
    expect(feedbackRequest(base, row, 'false_positive')).toEqual({
      url: '/api/datasources/proxy/uid/anomalog-ds/loki/api/v1/anomalog/feedback',
      method: 'POST',
      body: {
        kind: 'false_positive',
        labels: { job: 'web', service_name: 'web' },
        template: 'GET /cgi-bin/<*>',
        line: 'GET /cgi-bin/../../etc/passwd',
        score: 0.97,
        severity: 'critical',
      },
    });
    expect(undoRequest(base, 'a/b')).toEqual({
      url: '/api/datasources/proxy/uid/anomalog-ds/loki/api/v1/anomalog/feedback/a%2Fb/undo',
      method: 'POST',
      body: {},
    });
    expect(grafanaFeedbackBase('x y')).toBe('/api/datasources/proxy/uid/x%20y/loki/api/v1/anomalog/');
  });

  it('match a row to feedback by stream and template, ignoring the labels Loki derives', () => {
    expect(patternKey({ job: 'web', service_name: 'web' }, 't')).toBe(patternKey({ job: 'web' }, 't'));
    expect(patternKey({ job: 'web' }, 't')).not.toBe(patternKey({ job: 'shop' }, 't'));
  });
});
