// Test 1: the built panel plugin in real Chromium, fed the frames Grafana's Loki data source builds from real responses of the
// real backend (a generated access log with incidents, scored by a model the real pipeline trained).
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeTraffic } from '@anomalog/generator';
import { buildPage } from '../scripts/build-pages.mjs';
import type { LokiResponse } from '../src/data/loki';
import { type Backend, launchChromium, reportPageErrors, screenshot, startBackend } from './browser';
import { PLUGIN } from './paths';
import type { HarnessInput } from './harness/main';

const LINES = 4_000;
const LOG_QUERY = '{job="web"} | anomaly_severity!="normal"';
const COUNT_QUERY = 'sum by (anomaly_severity) (count_over_time({job="web"} [1m]))';
const ANOMALIES = ['low', 'medium', 'high', 'critical'];

let backend: Backend;
let browser: Browser;
let page: Page;
const errors: string[] = [];
let input: HarnessInput;
let logs: LokiResponse;
let counts: LokiResponse;

async function lokiQuery(
  query: string,
  start: number,
  end: number,
  extra: Record<string, string> = {},
): Promise<LokiResponse> {
  const params = new URLSearchParams({ query, start: `${start}000000`, end: `${end}000000`, limit: '5000', ...extra });
  const res = await fetch(`${backend.url}/loki/api/v1/query_range?${params}`, {
    headers: { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' },
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as LokiResponse;
}

type Stream = {
  stream: Record<string, string>;
  values: Array<[string, string, { structuredMetadata?: Record<string, string> }]>;
};
const entries = (r: LokiResponse) => (r.data.result as Stream[]).flatMap((s) => s.values);
const severityOf = (e: Stream['values'][number]) => e[2]?.structuredMetadata?.anomaly_severity;

async function render(over: Partial<HarnessInput> = {}) {
  await page.evaluate((i) => window.renderPanel(i), { ...input, ...over });
}

const count = (testId: string) => page.getByTestId(testId).getAttribute('data-rows').then(Number);

beforeAll(async () => {
  // the harness page mounts the built plugin (dist/, built by the global setup) as Grafana would
  const harness = await buildPage('harness');
  cpSync(join(PLUGIN, 'dist'), join(harness, 'plugin'), { recursive: true });
  backend = await startBackend(harness);
  mkdirSync(join(backend.dir, 'logs'));
  // the first line lands on a minute boundary, where a count window (t - 1m, t] starts, not where it ends
  const minute = 60_000;
  const start = Math.floor((Date.now() - 3 * 3_600_000) / minute) * minute;
  writeTraffic({
    out: join(backend.dir, 'logs/access.log'),
    lines: LINES,
    seed: 21,
    anomalyRate: 0.04,
    start,
    diurnal: false,
  });

  logs = await lokiQuery(LOG_QUERY, start - 60_000, Date.now() + 60_000);
  // the count windows tile the whole log, not only the span of its anomalies
  const all = await lokiQuery('{job="web"}', start - 60_000, Date.now() + 60_000);
  const times = entries(all).map(([ns]) => Number(ns.slice(0, -6)));
  expect(times).toHaveLength(LINES);
  const from = Math.floor((Math.min(...times) - 1) / minute) * minute;
  const to = Math.ceil((Math.max(...times) + 1) / minute) * minute;
  counts = await lokiQuery(COUNT_QUERY, from + minute, to + minute, { step: '60' });
  input = {
    responses: [
      { refId: 'A', expr: LOG_QUERY, body: logs },
      { refId: 'B', expr: COUNT_QUERY, body: counts },
    ],
    range: { from, to },
    width: 1400,
    height: 860,
  };

  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1416, height: 876 } });
  reportPageErrors(page, errors);
  await page.goto(`${backend.url}/?theme=dark`);
  await page.waitForFunction(() => window.pluginLoaded);
});

afterAll(async () => {
  await browser?.close();
  await backend?.stop();
});

describe('the anomaly panel in Chromium', () => {
  it('gets anomalies as structured metadata and counts by severity from the real backend', () => {
    expect(logs.data.encodingFlags).toContain('categorize-labels');
    const severities = entries(logs).map(severityOf);
    expect(severities.length).toBeGreaterThan(0);
    expect(severities.every((s) => ANOMALIES.includes(s!))).toBe(true);
    // several severities, so that the filters have something to tell apart
    expect(new Set(severities).size).toBeGreaterThanOrEqual(2);
    expect(counts.data.resultType).toBe('matrix');
  });

  it('renders totals, distribution, score chart and table from those frames', async () => {
    await render();
    const series = counts.data.result as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;
    const bySeverity: Record<string, number> = {};
    for (const s of series) {
      bySeverity[s.metric.anomaly_severity] = s.values.reduce((sum, [, v]) => sum + Number(v), 0);
    }
    const lines = Object.values(bySeverity).reduce((a, b) => a + b, 0);
    const anomalies = lines - (bySeverity.normal ?? 0);
    // one-minute windows stepped by a minute tile the log: every line counted once
    expect(lines).toBe(LINES);

    await expect.poll(() => page.getByTestId('total-lines').innerText()).toContain(lines.toLocaleString('en-US'));
    expect(await page.getByTestId('total-anomalies').innerText()).toContain(anomalies.toLocaleString('en-US'));
    expect(await page.getByTestId('total-percent').innerText()).toContain(`${((100 * anomalies) / lines).toFixed(2)}%`);
    for (const severity of ANOMALIES) {
      expect(await page.getByTestId(`bar-${severity}`).innerText()).toContain(
        (bySeverity[severity] ?? 0).toLocaleString('en-US'),
      );
    }

    const listed = entries(logs).length;
    expect(Number(await page.getByTestId('score-chart').getAttribute('data-points'))).toBe(listed);
    expect(await count('anomaly-table')).toBe(listed);
    expect(await page.getByTestId('anomaly-row').count()).toBeGreaterThan(10);
    expect(await page.getByRole('button', { name: 'Open in Explore' }).count()).toBeGreaterThan(10);
    expect(errors).toEqual([]);
    await screenshot(page, 'panel.png');
  });

  it('filters the table with the severity buttons', async () => {
    await render();
    const all = entries(logs).map(severityOf);
    const highOrCritical = all.filter((s) => s === 'high' || s === 'critical').length;
    await page.getByTestId('filter-low').click();
    await page.getByTestId('filter-medium').click();
    await expect.poll(() => count('anomaly-table')).toBe(highOrCritical);
    const shown = await page
      .getByTestId('anomaly-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-severity')));
    expect(shown.length).toBeGreaterThan(0);
    expect(new Set(shown)).toEqual(new Set(shown.filter((s) => s === 'high' || s === 'critical')));
    expect(await page.getByTestId('filter-low').getAttribute('aria-pressed')).toBe('false');

    await page.getByTestId('filter-low').click();
    await expect.poll(() => count('anomaly-table')).toBe(highOrCritical + all.filter((s) => s === 'low').length);
  });

  it('asks the dashboard to zoom to the span dragged across the chart', async () => {
    await render();
    const box = (await page.getByTestId('score-chart').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const zooms = await page.evaluate(() => window.zooms);
    expect(zooms).toHaveLength(1);
    const [{ from, to }] = zooms;
    expect(from).toBeGreaterThan(input.range.from);
    expect(to).toBeLessThan(input.range.to);
    expect(from).toBeLessThan(to);
  });

  it('hides the parts switched off in the options and looks right in the light theme', async () => {
    await page.goto(`${backend.url}/?theme=light`);
    await page.waitForFunction(() => window.pluginLoaded);
    await render({ options: { showChart: false, showDistribution: false } });
    await expect.poll(() => page.getByTestId('anomaly-table').count()).toBe(1);
    expect(await page.getByTestId('score-chart').count()).toBe(0);
    expect(await page.getByTestId('severity-bars').count()).toBe(0);
    expect(await page.getByTestId('anomaly-totals').count()).toBe(1);
    await render();
    await screenshot(page, 'panel-light.png');
  });

  it('keeps 50,000 rows fast: the table holds only the rows in view', async () => {
    const started = performance.now();
    // built in the page: handing 50,000 entries over from Node would measure the test's transport, not the panel
    await page.evaluate(
      ({ i, severities }) => {
        const values = Array.from({ length: 50_000 }, (_, n) => [
          `${i.range.from + n * 10}000000`,
          `line ${n}`,
          {
            structuredMetadata: {
              anomaly_score: String(0.45 + (n % 55) / 100),
              anomaly_severity: severities[n % 4],
              anomaly_reason: 'synthetic',
            },
          },
        ]);
        const body = {
          status: 'success',
          data: {
            resultType: 'streams' as const,
            encodingFlags: ['categorize-labels'],
            result: [{ stream: { job: 'web' }, values }],
          },
        };
        window.renderPanel({ ...i, responses: [{ refId: 'A', expr: '{job="web"}', body }] });
      },
      { i: input, severities: ANOMALIES },
    );
    await page.waitForSelector('[data-testid="anomaly-table"][data-rows="50000"]');
    console.log(`50,000 rows: rendered in ${(performance.now() - started).toFixed(0)} ms`);
    expect(Number(await page.getByTestId('score-chart').getAttribute('data-points'))).toBe(50_000);
    expect(await page.getByTestId('anomaly-row').count()).toBeLessThan(60);
    await page.getByTestId('filter-critical').click();
    await expect.poll(() => count('anomaly-table')).toBe(37_500);
  });

  it("shows Grafana's data error view when the query returns nothing it can read", async () => {
    await render({ responses: [] });
    await expect.poll(() => page.locator('body').innerText()).toContain('No anomaly data');
    expect(await page.getByTestId('anomaly-view').count()).toBe(0);
  });

  it("sends feedback through Grafana's data source proxy, shows what it did, and undoes it", async () => {
    await render();
    // Grafana's data source proxy: the path after /api/datasources/proxy/uid/<uid> goes to the data source's URL
    const proxied: Array<{ path: string; body: unknown }> = [];
    await page.route('**/api/datasources/proxy/uid/anomalog/**', async (route) => {
      const path = new URL(route.request().url()).pathname.replace('/api/datasources/proxy/uid/anomalog', '');
      proxied.push({ path, body: route.request().postDataJSON() });
      await route.fulfill({ response: await route.fetch({ url: `${backend.url}${path}` }) });
    });
    const row = page.getByTestId('anomaly-row').first();
    const template = await row.locator('[title]').nth(2).getAttribute('title');
    await row.getByTestId('mark-not-anomaly').click();
    await expect.poll(() => page.getByTestId('feedback-notice').innerText()).toMatch(/Marked not an anomaly/);
    expect(proxied[0]).toMatchObject({
      path: '/loki/api/v1/anomalog/feedback',
      body: { kind: 'false_positive', template, labels: { job: 'web' } },
    });
    expect(Object.keys((proxied[0].body as { labels: object }).labels).some((k) => k.startsWith('anomaly_'))).toBe(
      false,
    );
    // every row of that pattern now offers the undo
    expect(await page.getByTestId('row-undo').count()).toBeGreaterThan(0);
    await page.getByTestId('feedback-undo').click();
    await expect.poll(() => page.getByTestId('feedback-notice').innerText()).toMatch(/Undone/);
    expect(proxied[1].path).toMatch(/^\/loki\/api\/v1\/anomalog\/feedback\/[0-9a-f-]{36}\/undo$/);
    expect(errors).toEqual([]);
    await page.unroute('**/api/datasources/proxy/uid/anomalog/**');
  });
});
