export interface ExploreTarget {
  /** Data source uid the panel's query ran against. */
  datasourceUid: string;
  datasourceType?: string;
  expr: string;
}

/** Grafana's Explore URL showing `expr` around `time` (milliseconds), `windowMs` either side. */
export function exploreUrl(target: ExploreTarget, time: number, windowMs = 60_000): string {
  const datasource = { type: target.datasourceType ?? 'loki', uid: target.datasourceUid };
  const panes = {
    a: {
      datasource: target.datasourceUid,
      queries: [{ refId: 'A', expr: target.expr, datasource }],
      range: { from: String(Math.floor(time - windowMs)), to: String(Math.ceil(time + windowMs)) },
    },
  };
  const params = new URLSearchParams({ schemaVersion: '1', panes: JSON.stringify(panes), orgId: '1' });
  return `/explore?${params.toString()}`;
}
