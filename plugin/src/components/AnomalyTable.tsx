import { memo } from 'react';
import { FixedSizeList, type ListChildComponentProps } from 'react-window';
import { css, cx } from '@emotion/css';
import { dateTimeFormat, type GrafanaTheme2 } from '@grafana/data';
import { Button, IconButton, useStyles2 } from '@grafana/ui';

import { canTakeFeedback, type FeedbackKind, type FeedbackRecord } from '../data/feedback';
import type { AnomalyRow, Severity } from '../data/types';
import { SeverityBadge } from './SeverityBadge';

interface Props {
  rows: readonly AnomalyRow[];
  colors: Record<Severity, string>;
  width: number;
  height: number;
  /** A URL per row (Explore at that time); no link column without it. */
  rowLink?: (row: AnomalyRow) => string | undefined;
  /** Feedback buttons per row; no feedback column without it. */
  feedback?: RowFeedback;
}

/** What the table needs to offer feedback on a row and show the feedback given. */
export interface RowFeedback {
  /** The feedback given in this view that is in effect for the row's pattern. */
  recordFor(row: AnomalyRow): FeedbackRecord | undefined;
  mark(row: AnomalyRow, kind: FeedbackKind): void;
  undo(record: FeedbackRecord): void;
}

const ROW_HEIGHT = 30;
const COLUMNS = ['Time', 'Stream', 'Score', 'Severity', 'Reason', 'Template', 'Line'];

/** The anomalies, newest first; only the visible rows are in the DOM. */
export function AnomalyTable({ rows, colors, width, height, rowLink, feedback }: Props) {
  const styles = useStyles2(getStyles);
  const grid = css({
    display: 'grid',
    gridTemplateColumns: [COLUMN_WIDTHS, feedback && '128px', rowLink && '32px'].filter(Boolean).join(' '),
    alignItems: 'center',
  });
  const itemData: RowData = { rows, colors, rowLink, feedback, className: cx(styles.row, grid), styles };
  return (
    <div className={styles.table} style={{ width }} data-testid="anomaly-table" data-rows={rows.length}>
      <div className={cx(styles.header, grid)} role="row">
        {COLUMNS.map((c) => (
          <div key={c} role="columnheader" className={styles.cell}>
            {c}
          </div>
        ))}
        {feedback && (
          <div role="columnheader" className={styles.cell}>
            Feedback
          </div>
        )}
        {rowLink && <div role="columnheader" />}
      </div>
      {rows.length === 0 ? (
        <div className={styles.empty}>No anomalies match the filter.</div>
      ) : (
        <FixedSizeList
          height={Math.max(ROW_HEIGHT, height - ROW_HEIGHT)}
          width={width}
          itemCount={rows.length}
          itemSize={ROW_HEIGHT}
          itemData={itemData}
          overscanCount={8}
        >
          {TableRow}
        </FixedSizeList>
      )}
    </div>
  );
}

interface RowData {
  rows: readonly AnomalyRow[];
  colors: Record<Severity, string>;
  rowLink?: (row: AnomalyRow) => string | undefined;
  feedback?: RowFeedback;
  className: string;
  styles: ReturnType<typeof getStyles>;
}

const TableRow = memo(function TableRow({ index, style, data }: ListChildComponentProps<RowData>) {
  const row = data.rows[index];
  const { styles } = data;
  const link = data.rowLink?.(row);
  return (
    <div style={style} className={data.className} role="row" data-testid="anomaly-row" data-severity={row.severity}>
      <div className={styles.cell}>{dateTimeFormat(row.time, { format: 'YYYY-MM-DD HH:mm:ss.SSS' })}</div>
      <div className={styles.cell} title={row.stream}>
        {row.stream}
      </div>
      <div className={cx(styles.cell, styles.number)}>{row.score.toFixed(3)}</div>
      <div className={styles.cell}>
        <SeverityBadge severity={row.severity} color={data.colors[row.severity]} />
      </div>
      <div className={styles.cell} title={row.reason}>
        {row.burstLines !== undefined && `${row.burstLines} lines of one burst: `}
        {row.reason}
      </div>
      <div className={cx(styles.cell, styles.mono)} title={row.template}>
        {row.template}
      </div>
      <div className={cx(styles.cell, styles.mono)} title={row.line}>
        {row.line}
      </div>
      {data.feedback && <FeedbackCell row={row} feedback={data.feedback} />}
      {data.rowLink && (
        <div className={styles.cell}>
          {link && (
            <IconButton name="compass" tooltip="Open in Explore" size="sm" onClick={() => window.open(link, '_self')} />
          )}
        </div>
      )}
    </div>
  );
});

/** "not an anomaly" on an anomaly, "anomaly" on a normal line; "undo" once feedback holds for the row's pattern. */
function FeedbackCell({ row, feedback }: { row: AnomalyRow; feedback: RowFeedback }) {
  const record = feedback.recordFor(row);
  if (record) {
    return (
      <Button size="sm" fill="text" icon="history" onClick={() => feedback.undo(record)} data-testid="row-undo">
        {record.kind === 'false_positive' ? 'Suppressed: undo' : 'Flagged: undo'}
      </Button>
    );
  }
  if (!canTakeFeedback(row)) {
    return <div />;
  }
  const normal = row.severity === 'normal';
  return (
    <Button
      size="sm"
      fill="text"
      variant={normal ? 'destructive' : 'secondary'}
      icon={normal ? 'exclamation-triangle' : 'check'}
      tooltip={normal ? 'Flag lines of this pattern in this stream' : 'Stop flagging this pattern in this stream'}
      onClick={() => feedback.mark(row, normal ? 'confirm' : 'false_positive')}
      data-testid={normal ? 'mark-anomaly' : 'mark-not-anomaly'}
    >
      {normal ? 'Anomaly' : 'Not an anomaly'}
    </Button>
  );
}

const COLUMN_WIDTHS = '176px minmax(80px, 1fr) 56px 84px minmax(120px, 2fr) minmax(100px, 1.5fr) minmax(160px, 3fr)';

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({ display: 'flex', flexDirection: 'column', fontSize: theme.typography.bodySmall.fontSize }),
  header: css({
    height: ROW_HEIGHT,
    fontWeight: theme.typography.fontWeightMedium,
    color: theme.colors.text.secondary,
    borderBottom: `1px solid ${theme.colors.border.medium}`,
  }),
  row: css({
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    '&:hover': { background: theme.colors.action.hover },
  }),
  cell: css({ padding: theme.spacing(0, 1), overflow: 'hidden', whiteSpace: 'nowrap', textOverflow: 'ellipsis' }),
  number: css({ fontVariantNumeric: 'tabular-nums', textAlign: 'right' }),
  mono: css({ fontFamily: theme.typography.fontFamilyMonospace }),
  empty: css({ padding: theme.spacing(2), color: theme.colors.text.secondary }),
});
