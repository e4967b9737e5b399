import { PanelPlugin } from '@grafana/data';

import { AnomalyPanel } from './components/AnomalyPanel';
import { ANOMALY_SEVERITIES, SEVERITIES } from './data/types';
import { DEFAULT_OPTIONS } from './options';
import type { PanelOptions } from './types';

const PARTS = [
  ['showTotals', 'Totals', 'Lines, anomalies and the anomaly percentage'],
  ['showDistribution', 'Severity distribution', 'A bar per severity'],
  ['showChart', 'Score over time', 'Drag across the chart to zoom the dashboard'],
  ['showFilters', 'Severity filter buttons', ''],
  ['showTable', 'Anomaly table', 'Time, stream, score, severity, reason, template and line, with a link to Explore'],
] as const;

export const plugin = new PanelPlugin<PanelOptions>(AnomalyPanel).setPanelOptions((builder) => {
  for (const [path, name, description] of PARTS) {
    builder.addBooleanSwitch({ path, name, description, category: ['Parts'], defaultValue: DEFAULT_OPTIONS[path] });
  }
  builder.addSelect({
    path: 'minSeverity',
    name: 'Minimum severity',
    description: 'Lines below it are neither plotted nor listed',
    category: ['Parts'],
    defaultValue: DEFAULT_OPTIONS.minSeverity,
    settings: { options: SEVERITIES.map((s) => ({ value: s, label: s })) },
  });
  for (const severity of SEVERITIES) {
    builder.addColorPicker({
      path: `colors.${severity}`,
      name: severity,
      category: ['Severity colours'],
      defaultValue: DEFAULT_OPTIONS.colors[severity],
    });
  }
  for (const severity of ANOMALY_SEVERITIES) {
    builder.addNumberInput({
      path: `thresholds.${severity}`,
      name: `${severity} from score`,
      category: ['Thresholds'],
      settings: { min: 0, max: 1, step: 0.01 },
      defaultValue: DEFAULT_OPTIONS.thresholds[severity as keyof PanelOptions['thresholds']],
    });
  }
  for (const key of ['score', 'severity', 'reason', 'template'] as const) {
    builder.addTextInput({
      path: `fields.${key}`,
      name: `${key[0].toUpperCase()}${key.slice(1)} field`,
      description: 'A label, structured metadata key or frame field',
      category: ['Fields'],
      defaultValue: DEFAULT_OPTIONS.fields[key],
    });
  }
  return builder;
});
