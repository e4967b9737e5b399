import { isDerivedLabel, MAX_LINE_CHARS } from '@anomalog/contract';
import type { AnomalyRow } from './types';

/** "not an anomaly" (a false positive) or "anomaly" (a confirmation of a line scored normal). */
export type FeedbackKind = 'false_positive' | 'confirm';

/** A feedback record as the backend returns it. */
export interface FeedbackRecord {
  id: string;
  kind: FeedbackKind;
  labels: Record<string, string>;
  template: string;
  expiresAt?: string;
  active: boolean;
  undoneAt?: string;
}

/** One HTTP request to the backend's feedback routes; each host (Grafana, the page) sends it its own way. */
export interface FeedbackRequest {
  url: string;
  method: 'POST';
  body: Record<string, unknown>;
}

/** Sends a request and returns the JSON body of the answer (a FeedbackRecord); throws on an error status. */
export type FeedbackSender = (request: FeedbackRequest) => Promise<FeedbackRecord>;

/** Where the feedback routes are and how to reach them. */
export interface FeedbackTarget {
  /** The URL the routes are below, ending in `/`. */
  base: string;
  send: FeedbackSender;
}

/** The backend's own REST API, relative to the page. */
export const PAGE_FEEDBACK_BASE = 'api/v1/';

/**
 * Through Grafana's data source proxy, which forwards a path below a Loki data source's URL to it (and adds the data
 * source's auth); the backend takes feedback under /loki/api/v1/anomalog/. Grafana's backendSrv resolves the path
 * below its sub-path (root_url), if any.
 */
export function grafanaFeedbackBase(datasourceUid: string): string {
  return `/api/datasources/proxy/uid/${encodeURIComponent(datasourceUid)}/loki/api/v1/anomalog/`;
}


export function feedbackRequest(base: string, row: AnomalyRow, kind: FeedbackKind): FeedbackRequest {
  return {
    url: `${base}feedback`,
    method: 'POST',
    body: {
      kind,
      labels: row.labels ?? {},
      template: row.template,
      line: row.line.slice(0, MAX_LINE_CHARS),
      score: Math.min(1, Math.max(0, row.score)),
      severity: row.severity,
    },
  };
}

export function undoRequest(base: string, id: string): FeedbackRequest {
  return { url: `${base}feedback/${encodeURIComponent(id)}/undo`, method: 'POST', body: {} };
}

/** Whether a row can take feedback: the backend names a stream's pattern by its labels and template. */
export const canTakeFeedback = (row: AnomalyRow) => Boolean(row.labels && row.template);

/** The key of a row's pattern in its stream, as the backend matches feedback (labels it derives left out). */
export function patternKey(labels: Record<string, string>, template: string): string {
  const stream = Object.keys(labels)
    .filter((k) => !isDerivedLabel(k))
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
  return `${stream}\u0000${template}`;
}
