import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import { anomalyPercent } from '../data/aggregate';
import type { Totals as TotalsData } from '../data/types';

export function Totals({ totals }: { totals: TotalsData }) {
  const styles = useStyles2(getStyles);
  const stats = [
    { label: 'Lines', value: totals.lines.toLocaleString('en-US'), id: 'lines' },
    { label: 'Anomalies', value: totals.anomalies.toLocaleString('en-US'), id: 'anomalies' },
    { label: 'Anomalous', value: `${anomalyPercent(totals).toFixed(2)}%`, id: 'percent' },
  ];
  return (
    <div className={styles.row} data-testid="anomaly-totals">
      {stats.map((s) => (
        <div key={s.id} className={styles.stat} data-testid={`total-${s.id}`}>
          <div className={styles.value}>{s.value}</div>
          <div className={styles.label}>{s.label}</div>
        </div>
      ))}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  row: css({ display: 'flex', gap: theme.spacing(1) }),
  stat: css({
    minWidth: 96,
    padding: theme.spacing(0.5, 1.5),
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
  }),
  value: css({ fontSize: theme.typography.h3.fontSize, fontWeight: theme.typography.fontWeightMedium }),
  label: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
