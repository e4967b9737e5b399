import { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import { anomaliesAtLeast, oneRowPerBurst, totalsFromRows, withSeverities } from '../data/aggregate';
import { atLeast } from '../data/severity';
import { SEVERITIES, type AnomalyData, type AnomalyRow, type Severity } from '../data/types';
import type { PanelOptions } from '../types';
import { AnomalyTable } from './AnomalyTable';
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
}

const SUMMARY_HEIGHT = 76;
const FILTER_HEIGHT = 40;
const GAP = 8;

/** Everything the panel draws, given rows and totals: the panel and the standalone page both render this. */
export function AnomalyView({ data, options, width, height, range, onZoom, rowLink }: AnomalyViewProps) {
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

  const summary = options.showTotals || options.showDistribution;
  const filters = options.showFilters && options.showTable;
  let rest = height - (summary ? SUMMARY_HEIGHT + GAP : 0) - (filters ? FILTER_HEIGHT : 0);
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
      {options.showTable && (
        <AnomalyTable rows={tableRows} colors={colors} width={width} height={Math.max(60, rest)} rowLink={rowLink} />
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  view: css({ display: 'flex', flexDirection: 'column', gap: GAP, overflow: 'hidden' }),
  summary: css({ display: 'flex', gap: theme.spacing(3), alignItems: 'center' }),
});
