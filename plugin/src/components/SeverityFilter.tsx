import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Button, useStyles2 } from '@grafana/ui';

import type { Severity, SeverityCounts } from '../data/types';

interface Props {
  severities: readonly Severity[];
  shown: ReadonlySet<Severity>;
  counts: SeverityCounts;
  colors: Record<Severity, string>;
  onToggle: (severity: Severity) => void;
}

/** One toggle per severity: the table lists the severities switched on. */
export function SeverityFilter({ severities, shown, counts, colors, onToggle }: Props) {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.row} role="group" aria-label="Severity filter">
      {[...severities].reverse().map((severity) => (
        <Button
          key={severity}
          size="sm"
          variant="secondary"
          fill={shown.has(severity) ? 'solid' : 'outline'}
          aria-pressed={shown.has(severity)}
          data-testid={`filter-${severity}`}
          onClick={() => onToggle(severity)}
        >
          <span
            className={styles.dot}
            style={{ background: colors[severity], opacity: shown.has(severity) ? 1 : 0.35 }}
          />
          {severity} ({counts[severity].toLocaleString('en-US')})
        </Button>
      ))}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  row: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'center', height: 32 }),
  dot: css({ display: 'inline-block', width: 8, height: 8, borderRadius: '50%', marginRight: theme.spacing(0.75) }),
});
