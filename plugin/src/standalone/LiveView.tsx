import { useEffect, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, EmptyState, Input, RadioButtonGroup, useStyles2 } from '@grafana/ui';

import type { TimeSpan } from '../components/ScoreChart';
import { anomalyDataFromFrames } from '../data/frames';
import { framesFromLoki, type LokiResponse } from '../data/loki';
import { DEFAULT_OPTIONS } from '../options';
import { pageFeedback, queryRange } from './api';
import { ResultsArea } from './ResultsArea';

const DEFAULT_SELECTOR = '{job=~".+"}';
/** Count windows per span: enough for the totals, few enough to score quickly. */
const COUNT_WINDOWS = 120;
const POLL_MS = 5_000;
const WINDOWS = [
  { value: 15 * 60_000, label: '15m' },
  { value: 60 * 60_000, label: '1h' },
  { value: 6 * 60 * 60_000, label: '6h' },
  { value: 24 * 60 * 60_000, label: '24h' },
];

/** The watched streams' anomalies, polled from the backend's Loki-compatible API and drawn with the panel. */
export function LiveView() {
  const styles = useStyles2(getStyles);
  const [draft, setDraft] = useState(DEFAULT_SELECTOR);
  const [selector, setSelector] = useState(DEFAULT_SELECTOR);
  const [lookback, setLookback] = useState(WINDOWS[1].value);
  const [zoom, setZoom] = useState<TimeSpan>();
  const [response, setResponse] = useState<{ bodies: LokiResponse[]; span: TimeSpan }>();
  const [error, setError] = useState<string>();
  /** Bumped when feedback is stored: the next query shows its effect. */
  const [refresh, setRefresh] = useState(0);

  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      const span = zoom ?? { from: Date.now() - lookback, to: Date.now() };
      try {
        // anomalies to list, and every line counted by severity (tiling windows) for the totals
        const step = Math.max(1, Math.ceil((span.to - span.from) / 1000 / COUNT_WINDOWS));
        const bodies = await Promise.all([
          queryRange(`${selector} | anomaly_severity=~"low|medium|high|critical"`, span.from, span.to),
          queryRange(
            `sum by (anomaly_severity) (count_over_time(${selector} [${step}s]))`,
            span.from + step * 1000,
            span.to,
            { step },
          ),
        ]);
        if (!stopped) {
          setResponse({ bodies, span });
          setError(undefined);
        }
      } catch (err) {
        if (!stopped) {
          setError((err as Error).message);
        }
      }
    };
    poll();
    // a zoomed view is a fixed span: nothing new to poll for
    const timer = zoom ? undefined : setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [selector, lookback, zoom, refresh]);

  const data = useMemo(
    () =>
      response &&
      anomalyDataFromFrames(
        response.bodies.flatMap((body) => framesFromLoki(body)),
        DEFAULT_OPTIONS.fields,
        DEFAULT_OPTIONS.thresholds,
      ),
    [response],
  );

  return (
    <div className={styles.page}>
      <form
        className={styles.bar}
        onSubmit={(e) => {
          e.preventDefault();
          setSelector(draft);
        }}
      >
        <Input
          className={styles.query}
          value={draft}
          onChange={(e) => setDraft(e.currentTarget.value)}
          aria-label="Stream selector"
        />
        <Button type="submit" variant="secondary" icon="sync">
          Run
        </Button>
        <RadioButtonGroup
          options={WINDOWS}
          value={zoom ? undefined : lookback}
          onChange={(w) => {
            setZoom(undefined);
            setLookback(w);
          }}
        />
        {zoom && (
          <Button variant="secondary" icon="search-minus" onClick={() => setZoom(undefined)}>
            Back to live
          </Button>
        )}
      </form>
      {error && (
        <Alert title="The query failed" severity="error">
          {error}
        </Alert>
      )}
      {data && data.rows.length === 0 && !error && (
        <EmptyState variant="completed" message="No anomalies in this window">
          Anomalog is watching; anomalies appear here as they are scored.
        </EmptyState>
      )}
      {data && data.rows.length > 0 && response && (
        <ResultsArea
          data={data}
          options={DEFAULT_OPTIONS}
          range={response.span}
          onZoom={setZoom}
          feedback={pageFeedback}
          onFeedback={() => setRefresh((n) => n + 1)}
        />
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2), flex: 1, minHeight: 0 }),
  bar: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'center' }),
  query: css({ flex: 1, fontFamily: theme.typography.fontFamilyMonospace }),
});
