// Loads the built plugin (dist/module.js, the AMD module Grafana loads) with the modules Grafana shares with plugins,
// and mounts its panel the way a dashboard does: PanelProps around the frames of a query result.
import * as emotionCss from '@emotion/css';
import * as grafanaData from '@grafana/data';
import { dateTime, LoadingState, type PanelPlugin, type PanelProps, type TimeRange } from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import * as React from 'react';
import { createRoot } from 'react-dom/client';
import * as jsxRuntime from 'react/jsx-runtime';

import { framesFromLoki, type LokiResponse } from '../../src/data/loki';
import { DEFAULT_OPTIONS } from '../../src/options';
import { ThemedPage } from '../../src/standalone/ThemedPage';
import type { PanelOptions } from '../../src/types';

/** Where the test copies plugin/dist, relative to this page. */
const PLUGIN_MODULE = 'plugin/module.js';

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
    define(deps: string[], factory: (...modules: unknown[]) => unknown): void;
    renderPanel(input: HarnessInput): void;
    /** Every time range the panel asked the dashboard to zoom to. */
    zooms: Array<{ from: number; to: number }>;
    pluginLoaded: boolean;
  }
}

const shared: Record<string, unknown> = {
  '@emotion/css': emotionCss,
  '@grafana/data': grafanaData,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/ui': grafanaUi,
  react: React,
  'react/jsx-runtime': jsxRuntime,
  module: { uri: PLUGIN_MODULE },
};

function loadPlugin(): Promise<PanelPlugin<PanelOptions>> {
  return new Promise((resolve, reject) => {
    window.define = (deps, factory) => {
      const missing = deps.filter((d) => !(d in shared));
      if (missing.length) {
        reject(new Error(`the plugin needs modules Grafana does not share: ${missing.join(', ')}`));
        return;
      }
      resolve((factory(...deps.map((d) => shared[d])) as { plugin: PanelPlugin<PanelOptions> }).plugin);
    };
    const script = document.createElement('script');
    script.src = PLUGIN_MODULE;
    script.onerror = () => reject(new Error(`cannot load ${PLUGIN_MODULE}`));
    document.head.appendChild(script);
  });
}

// Grafana's backendSrv, as far as the panel uses it: POST a JSON body to a path of the Grafana server (here the test
// answers /api/datasources/proxy/... as Grafana's data source proxy does).
grafanaRuntime.setBackendSrv({
  post: async (url: string, data: unknown) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(data),
    });
    const body = await res.json();
    if (!res.ok) {
      throw new Error(body?.error ?? `${res.status}`);
    }
    return body;
  },
} as unknown as grafanaRuntime.BackendSrv);

const root = createRoot(document.getElementById('root')!);
window.zooms = [];

loadPlugin().then((plugin) => {
  const Panel = plugin.panel!;
  window.renderPanel = ({ responses, range, width, height, options }) => {
    const timeRange: TimeRange = {
      from: dateTime(range.from),
      to: dateTime(range.to),
      raw: { from: dateTime(range.from), to: dateTime(range.to) },
    };
    const series = responses.flatMap((r) => framesFromLoki(r.body, r.refId));
    const targets = responses.map((r) => ({
      refId: r.refId,
      expr: r.expr,
      datasource: { type: 'loki', uid: 'anomalog' },
    }));
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
      replaceVariables: (s: string) => s,
      onOptionsChange: () => {},
      onFieldConfigChange: () => {},
      onChangeTimeRange: (span: { from: number; to: number }) => window.zooms.push(span),
    } as unknown as PanelProps<PanelOptions>;
    root.render(
      <ThemedPage>
        <div style={{ padding: 8 }} data-testid="panel-box">
          <Panel {...props} />
        </div>
      </ThemedPage>,
    );
  };
  window.pluginLoaded = true;
});
