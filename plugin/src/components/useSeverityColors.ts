import { useMemo } from 'react';
import { useTheme2 } from '@grafana/ui';

import type { Severity } from '../data/types';

/** Resolves the configured colour names (`red`, `semi-dark-orange`, `#ff0000`) against the current theme. */
export function useSeverityColors(names: Record<Severity, string>): Record<Severity, string> {
  const theme = useTheme2();
  return useMemo(
    () => ({
      normal: theme.visualization.getColorByName(names.normal),
      low: theme.visualization.getColorByName(names.low),
      medium: theme.visualization.getColorByName(names.medium),
      high: theme.visualization.getColorByName(names.high),
      critical: theme.visualization.getColorByName(names.critical),
    }),
    [theme, names.normal, names.low, names.medium, names.high, names.critical],
  );
}
