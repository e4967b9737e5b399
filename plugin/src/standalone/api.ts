import { FORMAT_SAMPLE_LINES } from '@anomalog/contract';
import { PAGE_FEEDBACK_BASE, type FeedbackRecord, type FeedbackTarget } from '../data/feedback';
import type { LokiResponse } from '../data/loki';
import type { ScoredRecord } from '../data/records';
import type { Totals } from '../data/types';

export type Detector = 'ensemble' | 'iforest' | 'autoencoder';

export interface UploadResult {
  id: string;
  /** The model that scored the file; the file's own name when it was learnt from it. */
  model: string;
  learned: boolean;
  format: string;
  modelFormat: string;
  warnings: string[];
  summary: Totals & { top: ScoredRecord[] };
}

/** Which loaded models read a file's format, and what the backend would choose. */
export interface ModelFit {
  format: string;
  models: Array<{ name: string; format: string; fits: boolean }>;
  suggested: { learn: true } | { model: string };
}

/** Score with a loaded model, or learn a model from the file itself first. */
export type ModelChoice = { learn: true } | { model: string };

/** A background job as GET /api/v1/jobs/:id returns it. */
interface Job<T> {
  state: 'queued' | 'running' | 'succeeded' | 'failed';
  progress: number;
  phase: string;
  error?: string;
  result?: T;
}

const SAMPLE_BYTES = 64 * 1024;
const POLL_MS = 400;

/** The most records the page loads for one upload; the totals still count every line. */
export const MAX_RECORDS = 50_000;
const PAGE = 1_000;

/** The first lines of a file (gzip read through), for the backend to detect their format. */
export async function firstLines(file: File): Promise<string[]> {
  let stream: ReadableStream<Uint8Array> = file
    .slice(0, /\.gz$/i.test(file.name) ? 16 * SAMPLE_BYTES : SAMPLE_BYTES)
    .stream();
  if (/\.gz$/i.test(file.name)) {
    stream = stream.pipeThrough(
      new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
    );
  }
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < SAMPLE_BYTES) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // the slice cut the gzip stream: the text read so far is the sample
  } finally {
    reader.cancel().catch(() => undefined);
  }
  const lines = text.split(/\r?\n/);
  if (text.length >= SAMPLE_BYTES) {
    lines.pop(); // cut mid-line
  }
  return lines.filter((l) => l.trim()).slice(0, FORMAT_SAMPLE_LINES);
}

/** The file's format and the loaded models that read it. */
export async function fitModels(file: File): Promise<ModelFit> {
  const lines = await firstLines(file);
  if (lines.length === 0) {
    throw new Error(`${file.name} holds no log lines`);
  }
  return json(
    await apiFetch('api/v1/uploads/fit', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ lines }),
    }),
  );
}

/**
 * Uploads and scores a file. Learning from the file runs as a job (the backend answers 202 at once): its progress
 * goes to `onProgress` until the job ends with the upload.
 */
export async function uploadLog(
  file: File,
  detector: Detector,
  choice: ModelChoice,
  onProgress: (progress: number, phase: string) => void = () => undefined,
): Promise<UploadResult> {
  const form = new FormData();
  form.append('detector', detector);
  if ('learn' in choice) {
    form.append('learn', 'true');
    form.append('wait', 'false');
  } else {
    form.append('model', choice.model);
  }
  form.append('file', file);
  const response = await apiFetch('api/v1/uploads', { method: 'POST', body: form });
  if (response.status !== 202) {
    return json(response);
  }
  const { job } = await json<{ job: string }>(response);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const state = await json<Job<UploadResult>>(await apiFetch(`api/v1/jobs/${encodeURIComponent(job)}`));
    if (state.state === 'succeeded' && state.result) {
      return state.result;
    }
    if (state.state === 'failed') {
      throw new Error(state.error ?? 'the upload failed');
    }
    onProgress(state.progress, state.phase);
  }
}

/** Feedback from the page goes to the backend's REST API. */
export const pageFeedback: FeedbackTarget = {
  base: PAGE_FEEDBACK_BASE,
  send: async ({ url, body }) =>
    json<FeedbackRecord>(
      await apiFetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }),
    ),
};

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
