import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';

import type { Severity } from '../data/types';

export function SeverityBadge({ severity, color }: { severity: Severity; color: string }) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  return (
    <span className={styles.badge} style={{ background: color, color: theme.colors.getContrastText(color) }}>
      {severity}
    </span>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  badge: css({
    display: 'inline-block',
    minWidth: 64,
    padding: theme.spacing(0, 1),
    borderRadius: theme.shape.radius.pill,
    fontSize: theme.typography.bodySmall.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
    lineHeight: '20px',
    textAlign: 'center',
  }),
});
