// Checks provisioning/ against the file shapes Grafana documents for provisioning (data sources, dashboard
// providers, alerting: rules, contact points, notification policies), then checks that the files agree with each
// other: every data source a dashboard or rule names is provisioned, and the panel type is this plugin's id.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { ANOMALY_FIELD_NAMES } from '@anomalog/contract';
import pluginJson from '../src/plugin.json';
import { REPO } from './paths';

const PROVISIONING = join(REPO, 'provisioning');
const loadYaml = (path: string): unknown => parse(readFileSync(join(PROVISIONING, path), 'utf8'));
const yamlFiles = (dir: string) =>
  readdirSync(join(PROVISIONING, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(dir, f));

const duration = z.string().regex(/^(\d+(ms|s|m|h|d|w))+$/, 'a duration such as 30s, 5m or 4h');
const apiVersion = z.literal(1);

// https://grafana.com/docs/grafana/latest/administration/provisioning/#data-sources
const datasourcesFile = z.strictObject({
  apiVersion,
  deleteDatasources: z.array(z.object({ name: z.string(), orgId: z.number().int().optional() })).optional(),
  prune: z.boolean().optional(),
  datasources: z.array(
    z.strictObject({
      name: z.string().min(1),
      type: z.string().min(1),
      uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
      access: z.enum(['proxy', 'direct']),
      url: z.url(),
      orgId: z.number().int().optional(),
      user: z.string().optional(),
      database: z.string().optional(),
      basicAuth: z.boolean().optional(),
      basicAuthUser: z.string().optional(),
      withCredentials: z.boolean().optional(),
      isDefault: z.boolean().optional(),
      jsonData: z.record(z.string(), z.unknown()).optional(),
      secureJsonData: z.record(z.string(), z.string()).optional(),
      version: z.number().int().optional(),
      editable: z.boolean().optional(),
    }),
  ),
});

// https://grafana.com/docs/grafana/latest/administration/provisioning/#dashboards
const dashboardProvidersFile = z.strictObject({
  apiVersion,
  providers: z.array(
    z.strictObject({
      name: z.string().min(1),
      orgId: z.number().int().optional(),
      folder: z.string().optional(),
      folderUid: z.string().optional(),
      type: z.literal('file'),
      disableDeletion: z.boolean().optional(),
      allowUiUpdates: z.boolean().optional(),
      updateIntervalSeconds: z.number().int().positive().optional(),
      options: z.strictObject({ path: z.string().startsWith('/'), foldersFromFilesStructure: z.boolean().optional() }),
    }),
  ),
});

// https://grafana.com/docs/grafana/latest/alerting/set-up/provision-alerting-resources/file-provisioning/
const query = z.strictObject({
  refId: z.string().regex(/^[A-Z]+$/),
  relativeTimeRange: z
    .strictObject({ from: z.number().int().positive(), to: z.number().int().nonnegative() })
    .optional(),
  datasourceUid: z.string().min(1),
  model: z.looseObject({ refId: z.string() }),
});
const rule = z.strictObject({
  uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
  title: z.string().min(1),
  condition: z.string(),
  data: z.array(query).min(1),
  noDataState: z.enum(['NoData', 'Alerting', 'OK']),
  execErrState: z.enum(['Error', 'Alerting', 'OK']),
  for: duration,
  isPaused: z.boolean().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
const policy: z.ZodType = z.lazy(() =>
  z.strictObject({
    receiver: z.string().optional(),
    group_by: z.array(z.string()).optional(),
    object_matchers: z.array(z.tuple([z.string(), z.enum(['=', '!=', '=~', '!~']), z.string()])).optional(),
    continue: z.boolean().optional(),
    group_wait: duration.optional(),
    group_interval: duration.optional(),
    repeat_interval: duration.optional(),
    routes: z.array(policy).optional(),
  }),
);
const alertingFile = z.strictObject({
  apiVersion,
  groups: z
    .array(
      z.strictObject({
        orgId: z.number().int(),
        name: z.string().min(1),
        folder: z.string().min(1),
        interval: duration,
        rules: z.array(rule).min(1),
      }),
    )
    .optional(),
  contactPoints: z
    .array(
      z.strictObject({
        orgId: z.number().int(),
        name: z.string().min(1),
        receivers: z
          .array(
            z.strictObject({
              uid: z.string().min(1),
              type: z.string().min(1),
              settings: z.record(z.string(), z.unknown()),
              disableResolveMessage: z.boolean().optional(),
            }),
          )
          .min(1),
      }),
    )
    .optional(),
  policies: z.array(z.intersection(z.object({ orgId: z.number().int(), receiver: z.string() }), policy)).optional(),
});

const datasources = yamlFiles('datasources').flatMap((f) => datasourcesFile.parse(loadYaml(f)).datasources);
const alerting = yamlFiles('alerting').map((f) => alertingFile.parse(loadYaml(f)));
const dashboards = readdirSync(join(PROVISIONING, 'dashboards/json')).map((f) =>
  JSON.parse(readFileSync(join(PROVISIONING, 'dashboards/json', f), 'utf8')),
);

describe('provisioning', () => {
  it('provisions the four data sources the stack needs, Anomalog as a Loki data source', () => {
    const byName = Object.fromEntries(datasources.map((d) => [d.name, d]));
    expect(byName['Loki']).toMatchObject({ type: 'loki', url: 'http://loki:3100' });
    expect(byName['Anomalog']).toMatchObject({ type: 'loki', url: 'http://anomalog:3101', isDefault: true });
    expect(byName['Anomalog (autoencoder)']).toMatchObject({
      type: 'loki',
      url: 'http://anomalog:3101/detectors/autoencoder',
    });
    expect(byName['Prometheus']).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    expect(new Set(datasources.map((d) => d.uid)).size).toBe(datasources.length);
  });

  it('every dashboard provider file has the documented shape and points inside the mounted folder', () => {
    for (const file of yamlFiles('dashboards')) {
      for (const provider of dashboardProvidersFile.parse(loadYaml(file)).providers) {
        expect(provider.options.path.startsWith('/etc/grafana/provisioning/')).toBe(true);
      }
    }
  });

  it('the "Log anomalies" dashboard has every part the issue lists, on provisioned data sources', () => {
    const dashboard = dashboards.find((d) => d.title === 'Log anomalies');
    expect(dashboard).toBeDefined();
    const variables = dashboard.templating.list.map((v: { name: string; type: string }) => `${v.name}:${v.type}`);
    expect(variables).toEqual(['detector:datasource', 'stream:query']);

    const panels: Array<{
      type: string;
      title: string;
      datasource: { uid: string };
      targets: Array<{ expr: string }>;
    }> = dashboard.panels;
    const exprs = (type: string) => panels.filter((p) => p.type === type).flatMap((p) => p.targets.map((t) => t.expr));
    expect(panels.filter((p) => p.type === pluginJson.id)).toHaveLength(1);
    expect(exprs('timeseries').some((e) => /sum by \(anomaly_severity\) \(count_over_time\(/.test(e))).toBe(true);
    expect(exprs('bargauge').some((e) => /sum by \(anomaly_reason\)/.test(e))).toBe(true);
    expect(exprs('logs')).toEqual(['{job=~"$stream"} | anomaly_severity=~"high|critical"']);
    expect(exprs('timeseries').join('\n')).toMatch(/anomalog_watcher_lag_seconds[\s\S]*anomalog_lines_scored_total/);

    const uids = new Set([...datasources.map((d) => d.uid), '${detector}']);
    for (const panel of panels) {
      expect(uids.has(panel.datasource.uid), `${panel.title} uses ${panel.datasource.uid}`).toBe(true);
    }
    expect(new Set(panels.map((p) => JSON.stringify(p.datasource)))).toContain(
      JSON.stringify({ type: 'loki', uid: '${detector}' }),
    );
  });

  it('alerting: rules on provisioned data sources, a webhook to the backend and a policy routing to it', () => {
    const rules = alerting.flatMap((f) => f.groups ?? []).flatMap((g) => g.rules);
    expect(rules.map((r) => r.title).sort()).toEqual([
      'Anomaly rate high',
      'Anomaly score high (from Loki)',
      'Critical log anomaly',
      'Critical log anomaly (from Loki)',
      'Watcher stalled',
    ]);
    expect(new Set(rules.map((r) => r.uid)).size).toBe(rules.length);

    const uids = new Set([...datasources.map((d) => d.uid), '__expr__']);
    for (const r of rules) {
      const refIds = r.data.map((q) => q.refId);
      expect(refIds, r.title).toContain(r.condition);
      for (const q of r.data) {
        expect(uids.has(q.datasourceUid), `${r.title} ${q.refId} uses ${q.datasourceUid}`).toBe(true);
        expect(q.model.refId).toBe(q.refId);
        const expression = (q.model as { expression?: string }).expression;
        if (q.datasourceUid === '__expr__' && expression) {
          for (const ref of expression.match(/\$?[A-Z]+/g) ?? []) {
            expect(refIds, `${r.title} ${q.refId} refers to ${ref}`).toContain(ref.replace('$', ''));
          }
        }
      }
    }
    const critical = rules.find((r) => r.title === 'Critical log anomaly')!;
    expect(JSON.stringify(critical.data)).toContain('anomaly_severity=\\"critical\\" [5m]');

    const contactPoints = alerting.flatMap((f) => f.contactPoints ?? []);
    const receivers = contactPoints.flatMap((c) => c.receivers);
    expect(receivers).toContainEqual(
      expect.objectContaining({
        type: 'webhook',
        settings: expect.objectContaining({ url: 'http://anomalog:3101/api/v1/alerts' }),
      }),
    );
    const policies = alerting.flatMap((f) => f.policies ?? []);
    expect(policies).toHaveLength(1);
    expect(contactPoints.map((c) => c.name)).toContain(policies[0].receiver);
  });

  it('has a scale-out variant that reads the anomalies the replicas pushed from Loki itself', () => {
    // What the watcher's Loki sink pushes: these stream labels, and the anomaly fields as structured metadata.
    const pushed = [
      'service_name',
      'severity',
      'source_job',
      ...ANOMALY_FIELD_NAMES.filter((f) => f !== 'anomaly_severity'),
    ];
    const names = (expr: string) =>
      [...expr.matchAll(/\b(\w+)\s*(?:=~|!=|=|!~)\s*"|by \(([\w, ]+)\)|unwrap (\w+)/g)].flatMap((m) =>
        (m[1] ?? m[2] ?? m[3]).split(/,\s*/),
      );
    const dashboard = dashboards.find((d) => d.title === 'Log anomalies (from Loki)');
    const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) =>
      p.targets.map((t) => t.expr),
    );
    const rules = alerting
      .flatMap((f) => f.groups ?? [])
      .flatMap((g) => g.rules)
      .filter((r) => r.title.endsWith('(from Loki)'));
    expect(rules).toHaveLength(2);
    const ruleExprs = rules.flatMap((r) =>
      r.data.filter((q) => q.datasourceUid === 'loki').map((q) => q.model.expr as string),
    );
    for (const expr of [...exprs, ...ruleExprs]) {
      expect(expr).toMatch(/^(.*\()?\{service_name="anomalog"/);
      for (const name of names(expr)) expect(pushed, `${name} in ${expr}`).toContain(name);
    }
    for (const panel of dashboard.panels) expect(panel.datasource).toEqual({ type: 'loki', uid: 'loki' });
    expect(exprs.join('\n')).toMatch(/unwrap anomaly_score/);
    expect(exprs.join('\n')).toMatch(/sum by \(anomaly_reason\)/);
    expect(exprs.join('\n')).toMatch(/sum by \(severity\)/);
  });

  it('rejects a file that breaks the documented shape (the schemas are not permissive)', () => {
    expect(
      datasourcesFile.safeParse({
        apiVersion: 1,
        datasources: [{ name: 'x', type: 'loki', access: 'proxy', url: 'not a url', uid: 'x' }],
      }).success,
    ).toBe(false);
    expect(
      alertingFile.safeParse({
        apiVersion: 1,
        groups: [{ orgId: 1, name: 'g', folder: 'f', interval: '1 minute', rules: [] }],
      }).success,
    ).toBe(false);
  });
});
