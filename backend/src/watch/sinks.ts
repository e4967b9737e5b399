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

/** Bursts a sink remembers having reported (the latest ones), so that a burst's later lines are not reported again. */
const BURSTS_KEPT = 1024;

/** What a sink reports: an anomaly, or the first line of a burst standing for `lines` of its lines. */
export interface AnomalyEvent {
  anomaly: Anomaly;
  lines: number;
}

/**
 * One event per burst (ScoredLine.burst): a burst's first line in a batch stands for its lines there; the lines of a
 * burst reported in an earlier batch are only counted, in `more`. A sink calls `remember` once its events are stored
 * (the watcher retries a failed batch as it was).
 */
export class BurstFold {
  private readonly reported = new Set<string>();

  fold(anomalies: readonly Anomaly[]): { events: AnomalyEvent[]; more: Map<string, number> } {
    const events: AnomalyEvent[] = [];
    const first = new Map<string, AnomalyEvent>();
    const more = new Map<string, number>();
    for (const anomaly of anomalies) {
      const id = anomaly.scored.burst;
      const event = id === undefined ? undefined : first.get(id);
      if (id !== undefined && this.reported.has(id)) more.set(id, (more.get(id) ?? 0) + 1);
      else if (event) event.lines++;
      else {
        events.push({ anomaly, lines: 1 });
        if (id !== undefined) first.set(id, events[events.length - 1]);
      }
    }
    return { events, more };
  }

  remember(events: readonly AnomalyEvent[]): void {
    for (const { anomaly } of events) {
      const id = anomaly.scored.burst;
      if (id === undefined) continue;
      this.reported.add(id);
      if (this.reported.size > BURSTS_KEPT) this.reported.delete(this.reported.values().next().value!);
    }
  }
}

/** The labels of the derived stream an anomaly is pushed to. */
export function derivedLabels(a: Anomaly): Labels {
  return { service_name: 'anomalog', severity: a.scored.severity, source_job: a.scored.labels.job ?? '' };
}

/**
 * The structured metadata each pushed anomaly carries (the anomaly_* names the Loki API and the panel use); a burst's
 * entry also says how many of its lines it stands for (`burst_lines`).
 */
export function derivedMetadata(a: Anomaly, lines = 1): Labels {
  const { anomaly_severity: _severityIsALabel, ...fields } = anomalyFields(a.scored);
  const burst = a.scored.burst === undefined ? {} : { burst_lines: String(lines) };
  return { ...fields, ...burst, source_stream: streamKey(a.scored.labels) } as Labels;
}

/**
 * Pushes to Loki's JSON push API: one stream per severity and source job, metadata as the value's third element. A
 * burst is one entry (BurstFold), so an alert rule counting entries counts it once.
 */
export function lokiSink(url: string, auth: Omit<LokiSourceConfig, 'url'> = {}): AnomalySink {
  const { url: bare, basicAuth } = splitCredentials(url);
  const endpoint = /\/loki\/api\/v1\/push\/?$/.test(bare) ? bare : `${bare.replace(/\/+$/, '')}/loki/api/v1/push`;
  const headers = {
    'content-type': 'application/json',
    ...lokiAuthHeaders({ ...auth, basicAuth: auth.basicAuth ?? basicAuth }),
  };
  const bursts = new BurstFold();
  return {
    async send(anomalies) {
      const { events } = bursts.fold(anomalies);
      const streams = new Map<string, { stream: Labels; values: [string, string, Labels][] }>();
      for (const { anomaly: a, lines } of events) {
        const stream = derivedLabels(a);
        const key = streamKey(stream);
        const entry = streams.get(key) ?? streams.set(key, { stream, values: [] }).get(key)!;
        entry.values.push([a.ts.toString(), a.scored.line, derivedMetadata(a, lines)]);
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
      bursts.remember(events);
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
 * Prints each anomaly as one line: time, severity, score, stream, the line, the reasons; a burst as its first line with
 * its count of lines, and its lines in later batches as one line of count. Coloured where the terminal supports it
 * (picocolors' detection), or as `color` says.
 */
export function consoleSink(
  write: (text: string) => void = (t) => process.stdout.write(t),
  { color = pc.isColorSupported }: { color?: boolean } = {},
): AnomalySink {
  const c = pc.createColors(color);
  const paintOf = severityPaint(c);
  const bursts = new BurstFold();
  return {
    async send(anomalies) {
      const { events, more } = bursts.fold(anomalies);
      for (const { anomaly, lines } of events) {
        const { ts, scored } = anomaly;
        const time = new Date(Number(ts / 1_000_000n)).toISOString().slice(11, 19);
        const severity = paintOf[scored.severity](scored.severity.toUpperCase().padEnd(8));
        const burst =
          scored.burst === undefined ? '' : c.bold(` [burst ${scored.burst}: ${lines} line${lines === 1 ? '' : 's'}]`);
        const reasons = scored.reasons.length > 0 ? c.dim(` <- ${scored.reasons.join('; ')}`) : '';
        write(
          `${c.dim(time)} ${severity} ${scored.score.toFixed(3)} ${c.dim(streamKey(scored.labels))} ${scored.line}${burst}${reasons}\n`,
        );
      }
      for (const [id, lines] of more) write(c.dim(`         burst ${id}: ${lines} more lines\n`));
      bursts.remember(events);
    },
  };
}
