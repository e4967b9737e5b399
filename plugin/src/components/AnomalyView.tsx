import { useCallback, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import { anomaliesAtLeast, oneRowPerBurst, totalsFromRows, withSeverities } from '../data/aggregate';
import {
  feedbackRequest,
  patternKey,
  undoRequest,
  type FeedbackKind,
  type FeedbackRecord,
  type FeedbackTarget,
} from '../data/feedback';
import { renderSelector } from '../data/frames';
import { atLeast } from '../data/severity';
import { SEVERITIES, type AnomalyData, type AnomalyRow, type Severity } from '../data/types';
import type { PanelOptions } from '../types';
import { AnomalyTable, type RowFeedback } from './AnomalyTable';
import { FeedbackNotice, NOTICE_HEIGHT } from './FeedbackNotice';
import { ScoreChart, type TimeSpan } from './ScoreChart';
import { SeverityBars } from './SeverityBars';
import { SeverityFilter } from './SeverityFilter';
import { Totals } from './Totals';
import { useSeverityColors } from './useSeverityColors';

export interface AnomalyViewProps {
  data: AnomalyData;
  options: PanelOptions;
  width: number;
  height: number;
  range?: TimeSpan;
  onZoom?: (span: TimeSpan) => void;
  rowLink?: (row: AnomalyRow) => string | undefined;
  /** Where "not an anomaly" / "anomaly" go; the table offers no feedback without it. */
  feedback?: FeedbackTarget;
  /** Called once feedback (or its undo) is stored: the host queries again to show its effect. */
  onFeedback?: () => void;
}

const SUMMARY_HEIGHT = 76;
const FILTER_HEIGHT = 40;
const GAP = 8;

/** Everything the panel draws, given rows and totals: the panel and the standalone page both render this. */
export function AnomalyView(props: AnomalyViewProps) {
  const { data, options, width, height, range, onZoom, rowLink } = props;
  const styles = useStyles2(getStyles);
  const colors = useSeverityColors(options.colors);
  const listed = useMemo(() => anomaliesAtLeast(data.rows, options.minSeverity), [data.rows, options.minSeverity]);
  const filterable = useMemo(() => SEVERITIES.filter((s) => atLeast(s, options.minSeverity)), [options.minSeverity]);
  const [hidden, setHidden] = useState<ReadonlySet<Severity>>(new Set());
  const shown = useMemo(() => new Set(filterable.filter((s) => !hidden.has(s))), [filterable, hidden]);
  // A burst is one event in the list: its first line, with its count of lines.
  const tableRows = useMemo(() => oneRowPerBurst(withSeverities(listed, shown)), [listed, shown]);
  const listedCounts = useMemo(() => totalsFromRows(listed).bySeverity, [listed]);
  const toggle = (severity: Severity) => {
    const next = new Set(hidden);
    if (!next.delete(severity)) {
      next.add(severity);
    }
    setHidden(next);
  };

  const { rowFeedback, notice } = useFeedback(props.feedback, props.onFeedback);

  const summary = options.showTotals || options.showDistribution;
  const filters = options.showFilters && options.showTable;
  let rest =
    height - (summary ? SUMMARY_HEIGHT + GAP : 0) - (filters ? FILTER_HEIGHT : 0) - (notice ? NOTICE_HEIGHT + GAP : 0);
  const chartHeight = options.showChart ? (options.showTable ? Math.max(120, Math.round(rest * 0.38)) : rest) : 0;
  rest -= options.showChart ? chartHeight + GAP : 0;

  return (
    <div className={styles.view} style={{ width, height }} data-testid="anomaly-view">
      {summary && (
        <div className={styles.summary} style={{ height: SUMMARY_HEIGHT }}>
          {options.showTotals && <Totals totals={data.totals} />}
          {options.showDistribution && <SeverityBars counts={data.totals.bySeverity} colors={colors} />}
        </div>
      )}
      {options.showChart && (
        <ScoreChart
          rows={listed}
          colors={colors}
          thresholds={options.thresholds}
          width={width}
          height={chartHeight}
          range={range}
          onZoom={onZoom}
        />
      )}
      {filters && (
        <SeverityFilter severities={filterable} shown={shown} counts={listedCounts} colors={colors} onToggle={toggle} />
      )}
      {notice}
      {options.showTable && (
        <AnomalyTable
          rows={tableRows}
          colors={colors}
          width={width}
          height={Math.max(60, rest)}
          rowLink={rowLink}
          feedback={rowFeedback}
        />
      )}
    </div>
  );
}

/**
 * The feedback given in this view: sends it, keeps the records (so a row shows that its pattern is suppressed, and
 * can be undone), and renders a notice of the last one.
 */
function useFeedback(target: FeedbackTarget | undefined, onFeedback: (() => void) | undefined) {
  const [given, setGiven] = useState<FeedbackRecord[]>([]);
  const [error, setError] = useState<string>();
  const run = useCallback(
    async (send: () => Promise<FeedbackRecord>) => {
      try {
        const record = await send();
        setGiven((old) => [...old.filter((r) => r.id !== record.id), record]);
        setError(undefined);
        onFeedback?.();
      } catch (err) {
        setError((err as Error).message);
      }
    },
    [onFeedback],
  );
  const rowFeedback = useMemo((): RowFeedback | undefined => {
    if (!target) {
      return undefined;
    }
    const active = new Map(given.filter((r) => r.active).map((r) => [patternKey(r.labels, r.template), r]));
    return {
      recordFor: (row) => (row.labels ? active.get(patternKey(row.labels, row.template)) : undefined),
      mark: (row: AnomalyRow, kind: FeedbackKind) => run(() => target.send(feedbackRequest(target.base, row, kind))),
      undo: (record) => run(() => target.send(undoRequest(target.base, record.id))),
    };
  }, [target, given, run]);
  const last = given[given.length - 1];
  const notice = error ? (
    <div role="alert" style={{ height: NOTICE_HEIGHT }} data-testid="feedback-error">
      Feedback failed: {error}
    </div>
  ) : (
    last &&
    rowFeedback && <FeedbackNotice record={last} stream={renderSelector(last.labels)} onUndo={rowFeedback.undo} />
  );
  return { rowFeedback, notice };
}

const getStyles = (theme: GrafanaTheme2) => ({
  view: css({ display: 'flex', flexDirection: 'column', gap: GAP, overflow: 'hidden' }),
  summary: css({ display: 'flex', gap: theme.spacing(3), alignItems: 'center' }),
});
