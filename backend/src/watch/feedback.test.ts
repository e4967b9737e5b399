import { appendFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { trafficLines, watchedWebContext, type WatchedWebContext } from '../../testkit/app.js';
import { Watcher } from './index.js';

const T0 = Date.UTC(2026, 0, 1);
let tc: WatchedWebContext;

beforeAll(async () => {
  tc = await watchedWebContext();
});
afterAll(() => tc.cleanup());

const pushedTemplates = () =>
  tc.loki.pushes.flatMap((p) => p.streams.flatMap((s) => s.values.map((v) => v[2]?.anomaly_template)));

it('the watcher stops sending a line once the panel marks its template not an anomaly, and again after the undo', async () => {
  const { log } = tc;
  const lines = trafficLines({ lines: 400, seed: 3, anomalyRate: 0.2, start: T0 });
  writeFileSync(log, `${lines.join('\n')}\n`);
  const watcher = await Watcher.open(tc.ctx, { from: 'start', backoff: { initialMs: 10, maxMs: 40 } });
  expect(await watcher.cycle()).toBe(true);
  const counts = new Map<string, number>();
  for (const t of pushedTemplates()) counts.set(t!, (counts.get(t!) ?? 0) + 1);
  const [template] = [...counts].sort((a, b) => b[1] - a[1])[0];

  // What the panel sends: the row's labels as Grafana shows them (with the derived service_name and the fields).
  const labels = { job: 'web', filename: log, service_name: 'web', anomaly_severity: 'high' };
  const record = await tc.ctx.models.feedback.add({ kind: 'false_positive', labels, template }, 60_000);
  tc.loki.pushes.length = 0;
  appendFileSync(log, `${lines.join('\n')}\n`);
  expect(await watcher.cycle()).toBe(true);
  expect(pushedTemplates().length).toBeGreaterThan(0);
  expect(pushedTemplates()).not.toContain(template);

  await tc.ctx.models.feedback.undo(record.id);
  tc.loki.pushes.length = 0;
  appendFileSync(log, `${lines.join('\n')}\n`);
  expect(await watcher.cycle()).toBe(true);
  expect(pushedTemplates()).toContain(template);
  await watcher.stop();
});
