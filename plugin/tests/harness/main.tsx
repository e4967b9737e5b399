// Mounts the panel the way Grafana does (PanelProps from a query result) so a browser test can drive it.
import { createRoot } from 'react-dom/client';
import { dateTime, LoadingState, type PanelProps, type TimeRange } from '@grafana/data';
import { css } from '@emotion/css';

import { AnomalyPanel } from '../../src/components/AnomalyPanel';
import { framesFromLoki, type LokiResponse } from '../../src/data/loki';
import { DEFAULT_OPTIONS } from '../../src/options';
import { ThemedPage } from '../../src/standalone/ThemedPage';
import type { PanelOptions } from '../../src/types';

export interface HarnessInput {
  /** Loki API responses, as the backend sent them; each becomes frames with the query's refId. */
  responses: Array<{ refId: string; expr: string; body: LokiResponse }>;
  range: { from: number; to: number };
  width: number;
  height: number;
  options?: Partial<PanelOptions>;
}

declare global {
  interface Window {
    renderPanel(input: HarnessInput): void;
    /** Every time range the panel asked the dashboard to zoom to. */
    zooms: Array<{ from: number; to: number }>;
  }
}

const root = createRoot(document.getElementById('root')!);
window.zooms = [];

window.renderPanel = ({ responses, range, width, height, options }) => {
  const timeRange: TimeRange = {
    from: dateTime(range.from),
    to: dateTime(range.to),
    raw: { from: dateTime(range.from), to: dateTime(range.to) },
  };
  const series = responses.flatMap((r) => framesFromLoki(r.body, r.refId));
  const targets = responses.map((r) => ({ refId: r.refId, expr: r.expr, datasource: { type: 'loki', uid: 'anomalog' } }));
  const props = {
    id: 1,
    title: 'Log anomalies',
    data: { state: LoadingState.Done, series, timeRange, request: { targets } },
    options: { ...DEFAULT_OPTIONS, ...options },
    fieldConfig: { defaults: {}, overrides: [] },
    width,
    height,
    timeRange,
    timeZone: 'browser',
    transparent: false,
    renderCounter: 1,
    eventBus: undefined,
    replaceVariables: (s: string) => s,
    onOptionsChange: () => {},
    onFieldConfigChange: () => {},
    onChangeTimeRange: (span: { from: number; to: number }) => window.zooms.push(span),
  } as unknown as PanelProps<PanelOptions>;
  root.render(
    <ThemedPage>
      <div className={css({ padding: 8 })} data-testid="panel-box">
        <AnomalyPanel {...props} />
      </div>
    </ThemedPage>
  );
};
