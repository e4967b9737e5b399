import { css } from '@emotion/css';
import { dateTimeFormat, type GrafanaTheme2 } from '@grafana/data';
import { Button, useStyles2 } from '@grafana/ui';

import type { FeedbackRecord } from '../data/feedback';

export const NOTICE_HEIGHT = 32;

interface Props {
  record: FeedbackRecord;
  stream: string;
  onUndo: (record: FeedbackRecord) => void;
}

/** What the last feedback did, and its undo. */
export function FeedbackNotice({ record, stream, onUndo }: Props) {
  const styles = useStyles2(getStyles);
  const what = record.kind === 'false_positive' ? 'Marked not an anomaly' : 'Marked an anomaly';
  const effect = record.kind === 'false_positive' ? 'shown as normal' : 'flagged';
  const until = record.expiresAt ? ` until ${dateTimeFormat(record.expiresAt, { format: 'YYYY-MM-DD HH:mm' })}` : '';
  return (
    <div className={styles.notice} style={{ height: NOTICE_HEIGHT }} data-testid="feedback-notice" role="status">
      <span className={styles.text}>
        {record.active ? (
          <>
            {what}: lines of <code>{record.template}</code> in {stream} are {effect}
            {until}.
          </>
        ) : (
          <>
            Undone: lines of <code>{record.template}</code> in {stream} are scored by the model again.
          </>
        )}
      </span>
      {record.active && (
        <Button size="sm" variant="secondary" icon="history" onClick={() => onUndo(record)} data-testid="feedback-undo">
          Undo
        </Button>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  notice: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(0, 1),
    fontSize: theme.typography.bodySmall.fontSize,
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
    minWidth: 0,
  }),
  text: css({ flex: 1, minWidth: 0, overflow: 'hidden', whiteSpace: 'nowrap', textOverflow: 'ellipsis' }),
});
