import type { LokiResponse } from '../data/loki';
import type { ScoredRecord } from '../data/records';
import type { Totals } from '../data/types';

export type Detector = 'ensemble' | 'iforest' | 'autoencoder';

export interface UploadResult {
  id: string;
  summary: Totals & { top: ScoredRecord[] };
}

/** The most records the page loads for one upload; the totals still count every line. */
export const MAX_RECORDS = 50_000;
const PAGE = 1_000;

export async function uploadLog(file: File, detector: Detector): Promise<UploadResult> {
  const form = new FormData();
  form.append('detector', detector);
  form.append('file', file);
  return json(await apiFetch('api/v1/uploads', { method: 'POST', body: form }));
}

/** The upload's anomalies, page by page. */
export async function fetchAnomalies(id: string): Promise<ScoredRecord[]> {
  const records: ScoredRecord[] = [];
  while (records.length < MAX_RECORDS) {
    const params = new URLSearchParams({ severity: 'anomaly', offset: String(records.length), limit: String(PAGE) });
    const page = await json<{ records: ScoredRecord[] }>(
      await apiFetch(`api/v1/uploads/${encodeURIComponent(id)}/records?${params}`),
    );
    records.push(...page.records);
    if (page.records.length < PAGE) {
      break;
    }
  }
  return records;
}

/** A Loki range query from `from` to `to` (milliseconds), asking for structured metadata as Grafana does. */
export async function queryRange(
  query: string,
  from: number,
  to: number,
  opts: { step?: number } = {},
): Promise<LokiResponse> {
  const params = new URLSearchParams({
    query,
    start: `${from}000000`,
    end: `${to}000000`,
    limit: '5000',
    direction: 'backward',
  });
  if (opts.step) {
    params.set('step', String(opts.step));
  }
  const response = await apiFetch(`loki/api/v1/query_range?${params}`, {
    headers: { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' },
  });
  return json(response);
}

/** Where the page keeps the API token: this browser tab's session only (gone when the tab closes). */
export const TOKEN_KEY = 'anomalog.token';

/** Asks the user for the server's token; null when they cancel. Replaceable for tests and embedding. */
export let askToken = (): string | null =>
  window.prompt('This Anomalog server needs its API token (server.token in anomalog.yaml):');

export function setTokenPrompt(ask: () => string | null): void {
  askToken = ask;
}

/**
 * fetch with the session's token as `Authorization: Bearer`. On a 401 it asks for the token (once per call), keeps
 * it in sessionStorage for the rest of the session and tries again; a token the server refuses is forgotten.
 */
export async function apiFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const send = (token: string | null) => {
    const headers = new Headers(init.headers);
    if (token) {
      headers.set('Authorization', `Bearer ${token}`);
    }
    return fetch(url, { ...init, headers });
  };
  const saved = sessionStorage.getItem(TOKEN_KEY);
  const response = await send(saved);
  if (response.status !== 401) {
    return response;
  }
  sessionStorage.removeItem(TOKEN_KEY);
  const token = askToken();
  if (!token) {
    return response;
  }
  const retried = await send(token);
  if (retried.status !== 401) {
    sessionStorage.setItem(TOKEN_KEY, token);
  }
  return retried;
}

async function json<T>(response: Response): Promise<T> {
  const body = await response.json().catch(() => undefined);
  if (!response.ok) {
    throw new Error(body?.error ?? `${response.status} ${response.statusText}`);
  }
  return body as T;
}
