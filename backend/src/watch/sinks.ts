import pc from 'picocolors';
import { anomalyFields } from '../logql/ast.js';
import { lokiAuthHeaders, splitCredentials, type LokiSourceConfig } from '../sources/loki.js';
import { redactSecrets, safeUrl } from '../sources/redact.js';
import { streamKey, type Labels } from '../stream.js';
import type { ScoredLine, Severity } from '../types.js';

/** One anomaly as the watcher reports it: the scored line and its source timestamp in nanoseconds. */
export interface Anomaly {
  ts: bigint;
  scored: ScoredLine;
}

export interface AnomalySink {
  /** Resolves once the anomalies are stored; rejects when they are not (the watcher retries the same batch). */
  send(anomalies: readonly Anomaly[]): Promise<void>;
}

/** The labels of the derived stream an anomaly is pushed to. */
export function derivedLabels(a: Anomaly): Labels {
  return { service_name: 'anomalog', severity: a.scored.severity, source_job: a.scored.labels.job ?? '' };
}

/** The structured metadata each pushed anomaly carries (the anomaly_* names the Loki API and the panel use). */
export function derivedMetadata(a: Anomaly): Labels {
  const { anomaly_severity: _severityIsALabel, ...fields } = anomalyFields(a.scored);
  return { ...fields, source_stream: streamKey(a.scored.labels) };
}

/** Pushes to Loki's JSON push API: one stream per severity and source job, metadata as the value's third element. */
export function lokiSink(url: string, auth: Omit<LokiSourceConfig, 'url'> = {}): AnomalySink {
  const { url: bare, basicAuth } = splitCredentials(url);
  const endpoint = /\/loki\/api\/v1\/push\/?$/.test(bare) ? bare : `${bare.replace(/\/+$/, '')}/loki/api/v1/push`;
  const headers = {
    'content-type': 'application/json',
    ...lokiAuthHeaders({ ...auth, basicAuth: auth.basicAuth ?? basicAuth }),
  };
  return {
    async send(anomalies) {
      const streams = new Map<string, { stream: Labels; values: [string, string, Labels][] }>();
      for (const a of anomalies) {
        const stream = derivedLabels(a);
        const key = streamKey(stream);
        const entry = streams.get(key) ?? streams.set(key, { stream, values: [] }).get(key)!;
        entry.values.push([a.ts.toString(), a.scored.line, derivedMetadata(a)]);
      }
      let res: Response;
      try {
        res = await fetch(endpoint, {
          method: 'POST',
          headers,
          body: JSON.stringify({ streams: [...streams.values()] }),
          signal: AbortSignal.timeout(15_000),
        });
      } catch (err) {
        throw new Error(
          `cannot reach Loki at ${safeUrl(endpoint)}: ${redactSecrets((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message)}`,
        );
      }
      if (!res.ok)
        throw new Error(
          `Loki refused the push (${res.status}): ${redactSecrets((await res.text()).trim().slice(0, 200))}`,
        );
    },
  };
}

type Colors = ReturnType<typeof pc.createColors>;

/** How the terminal shows each severity: the console sink's lines and the CLI's summary. */
export const severityPaint = (c: Colors): Record<Severity, (s: string) => string> => ({
  critical: (s) => c.bold(c.red(s)),
  high: c.red,
  medium: c.yellow,
  low: c.cyan,
  normal: c.dim,
});

/**
 * Prints each anomaly as one line: time, severity, score, stream, the line, the reasons. Coloured where the
 * terminal supports it (picocolors' detection), or as `color` says.
 */
export function consoleSink(
  write: (text: string) => void = (t) => process.stdout.write(t),
  { color = pc.isColorSupported }: { color?: boolean } = {},
): AnomalySink {
  const c = pc.createColors(color);
  const paintOf = severityPaint(c);
  return {
    async send(anomalies) {
      for (const { ts, scored } of anomalies) {
        const time = new Date(Number(ts / 1_000_000n)).toISOString().slice(11, 19);
        const severity = paintOf[scored.severity](scored.severity.toUpperCase().padEnd(8));
        const reasons = scored.reasons.length > 0 ? c.dim(` <- ${scored.reasons.join('; ')}`) : '';
        write(
          `${c.dim(time)} ${severity} ${scored.score.toFixed(3)} ${c.dim(streamKey(scored.labels))} ${scored.line}${reasons}\n`,
        );
      }
    },
  };
}
