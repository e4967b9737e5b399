import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import { SEVERITIES, type Severity, type SeverityCounts } from '../data/types';

/** One horizontal bar per severity, lengths relative to the largest anomaly count. */
export function SeverityBars({ counts, colors }: { counts: SeverityCounts; colors: Record<Severity, string> }) {
  const styles = useStyles2(getStyles);
  const shown = SEVERITIES.filter((s) => s !== 'normal');
  const max = Math.max(1, ...shown.map((s) => counts[s]));
  return (
    <div className={styles.bars} data-testid="severity-bars">
      {[...shown].reverse().map((severity) => (
        <div key={severity} className={styles.bar} data-testid={`bar-${severity}`}>
          <span className={styles.name}>{severity}</span>
          <span className={styles.track}>
            <span
              className={styles.fill}
              style={{ width: `${(100 * counts[severity]) / max}%`, background: colors[severity] }}
            />
          </span>
          <span className={styles.count}>{counts[severity].toLocaleString('en-US')}</span>
        </div>
      ))}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  bars: css({ flex: 1, minWidth: 160, display: 'flex', flexDirection: 'column', justifyContent: 'center', gap: 2 }),
  bar: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  name: css({ width: 56, color: theme.colors.text.secondary }),
  track: css({ flex: 1, height: 10, background: theme.colors.background.secondary, borderRadius: 2 }),
  fill: css({ display: 'block', height: '100%', minWidth: 1, borderRadius: 2 }),
  count: css({ width: 56, textAlign: 'right', fontVariantNumeric: 'tabular-nums' }),
});
