import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import { AnomalyView, type AnomalyViewProps } from '../components/AnomalyView';
import { useElementSize } from './useElementSize';

/** The panel view filling the space left on the page, as a dashboard panel fills its box. */
export function ResultsArea(props: Omit<AnomalyViewProps, 'width' | 'height'>) {
  const styles = useStyles2(getStyles);
  const { ref, width, height } = useElementSize<HTMLDivElement>();
  return (
    <div ref={ref} className={styles.area}>
      {width > 0 && height > 0 && <AnomalyView {...props} width={width} height={height} />}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  area: css({
    flex: 1,
    minHeight: 420,
    padding: theme.spacing(1),
    background: theme.colors.background.primary,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
  }),
});
