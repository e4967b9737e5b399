import { useCallback, useMemo } from 'react';
import type { DataQuery, PanelProps } from '@grafana/data';
import { config, getBackendSrv, PanelDataErrorView } from '@grafana/runtime';

import { exploreUrl } from '../data/explore';
import { grafanaFeedbackBase, type FeedbackRecord, type FeedbackTarget } from '../data/feedback';
import { anomalyDataFromFrames } from '../data/frames';
import type { AnomalyRow } from '../data/types';
import type { PanelOptions } from '../types';
import { AnomalyView } from './AnomalyView';
import type { TimeSpan } from './ScoreChart';

type LokiTarget = DataQuery & { expr?: string };

export function AnomalyPanel({
  id,
  data,
  options,
  fieldConfig,
  width,
  height,
  timeRange,
  onChangeTimeRange,
  replaceVariables,
}: PanelProps<PanelOptions>) {
  const anomalies = useMemo(
    () => anomalyDataFromFrames(data.series, options.fields, options.thresholds),
    [data.series, options.fields, options.thresholds],
  );
  const target = data.request?.targets?.find((t): t is LokiTarget => Boolean((t as LokiTarget).expr));
  const datasourceUid = target?.datasource?.uid ? replaceVariables(target.datasource.uid) : undefined;
  const expr = target?.expr ? replaceVariables(target.expr) : undefined;
  const rowLink = useMemo(
    () =>
      datasourceUid && expr
        ? (row: AnomalyRow) =>
            config.appSubUrl + exploreUrl({ datasourceUid, datasourceType: target?.datasource?.type, expr }, row.time)
        : undefined,
    [datasourceUid, expr, target?.datasource?.type],
  );
  const onZoom = useCallback((span: TimeSpan) => onChangeTimeRange(span), [onChangeTimeRange]);
  // Feedback goes to the backend behind the query's data source, through Grafana's data source proxy: a user needs
  // the Query permission on that data source (docs/grafana.md).
  const feedback = useMemo(
    (): FeedbackTarget | undefined =>
      datasourceUid
        ? {
            base: grafanaFeedbackBase(datasourceUid),
            send: ({ url, body }) => getBackendSrv().post<FeedbackRecord>(url, body, { showErrorAlert: false }),
          }
        : undefined,
    [datasourceUid],
  );

  if (anomalies.rows.length === 0 && anomalies.totals.lines === 0) {
    return (
      <PanelDataErrorView
        panelId={id}
        fieldConfig={fieldConfig}
        data={data}
        needsStringField
        message={`No anomaly data: query Anomalog (fields ${options.fields.score}, ${options.fields.severity}) or counts by ${options.fields.severity}`}
      />
    );
  }
  return (
    <AnomalyView
      data={anomalies}
      options={options}
      width={width}
      height={height}
      range={{ from: timeRange.from.valueOf(), to: timeRange.to.valueOf() }}
      onZoom={onZoom}
      rowLink={rowLink}
      feedback={feedback}
    />
  );
}
