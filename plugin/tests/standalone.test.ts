// Test 2: the standalone page served by the real backend. Drop a generated access log with planted attacks, score it,
// and find the attacks in the table at high or critical severity; then the live view of the watched streams.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeTraffic } from '@anomalog/generator';
import { type Backend, launchChromium, reportPageErrors, screenshot, startBackend } from './browser';
import { PLUGIN } from './paths';

const LINES = 3_000;
/** Only attacks: no outage or latency windows, so every planted line is one request of an attacker. */
const ATTACKS_ONLY = { outage_5xx: 0, latency_spike: 0, db_error_storm: 0 };

interface UploadSummary {
  lines: number;
  anomalies: number;
  bySeverity: Record<string, number>;
}

let backend: Backend;
let browser: Browser;
let page: Page;
const errors: string[] = [];
let logText: string;
/** Lines of the generated log that belong to an attack, with the attack's name. */
const attacks = new Map<string, string>();

beforeAll(async () => {
  backend = await startBackend(join(PLUGIN, 'dist-standalone'));
  mkdirSync(join(backend.dir, 'logs'));
  const log = join(backend.dir, 'logs/access.log');
  writeTraffic({
    out: log,
    lines: LINES,
    seed: 5,
    anomalyRate: 0.03,
    start: Date.now() - 20 * 60_000,
    rate: 10,
    diurnal: false,
    weights: ATTACKS_ONLY,
  });
  logText = readFileSync(log, 'utf8');
  const lines = logText.split('\n');
  for (const row of readFileSync(`${log}.labels.jsonl`, 'utf8').trim().split('\n')) {
    const { line, label } = JSON.parse(row) as { line: number; label: string };
    if (label !== 'normal') {
      attacks.set(lines[line - 1], label);
    }
  }

  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  reportPageErrors(page, errors);
  await page.goto(`${backend.url}/?theme=dark`);
});

afterAll(async () => {
  await browser?.close();
  await backend?.stop();
});

/** Drops a file on the drop zone the way a browser does: a DataTransfer holding a File. */
async function dropFile(name: string, content: string | number[]) {
  await page.getByTestId('dropzone').evaluate(
    (zone, { name, content }) => {
      const bytes = typeof content === 'string' ? content : new Uint8Array(content);
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], name));
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    { name, content },
  );
}

/** Every row of the virtualised table: scrolls it through and reads each row once. */
async function tableRows(): Promise<Array<{ severity: string; line: string }>> {
  return page.getByTestId('anomaly-table').evaluate(async (table) => {
    const scroller = [...table.querySelectorAll('div')].find((d) => getComputedStyle(d).overflow === 'auto')!;
    const seen = new Map<string, { severity: string; line: string }>();
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    for (scroller.scrollTop = 0; ; scroller.scrollTop += scroller.clientHeight) {
      await frame();
      for (const row of table.querySelectorAll<HTMLElement>('[data-testid="anomaly-row"]')) {
        const cells = row.querySelectorAll<HTMLElement>('[title]');
        seen.set(`${row.style.top}`, { severity: row.dataset.severity!, line: cells[cells.length - 1].title });
      }
      if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight) {
        return [...seen.values()];
      }
    }
  });
}

describe('the standalone page', () => {
  it('explains a file it cannot score', async () => {
    await dropFile(
      'junk.log',
      Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256),
    );
    await page.getByTestId('analyse').click();
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/binary data/);
    errors.length = 0; // the 422 the backend answered is the point here
  });

  it('scores a dropped access log and shows the totals the backend counted', async () => {
    await dropFile('access.log', logText);
    await expect.poll(() => page.getByTestId('dropzone').innerText()).toContain('access.log');
    await page.getByRole('radio', { name: 'Isolation Forest' }).check({ force: true });
    const uploaded = page.waitForResponse(
      (r) => r.url().endsWith('/api/v1/uploads') && r.request().method() === 'POST',
    );
    await page.getByTestId('analyse').click();
    const response = await uploaded;
    expect(response.status()).toBe(201);
    const { summary } = (await response.json()) as { summary: UploadSummary };
    expect(summary.lines).toBe(LINES);

    await page.getByTestId('results-caption').waitFor();
    expect(await page.getByTestId('total-lines').innerText()).toContain(LINES.toLocaleString('en-US'));
    expect(await page.getByTestId('total-anomalies').innerText()).toContain(summary.anomalies.toLocaleString('en-US'));
    expect(Number(await page.getByTestId('anomaly-table').getAttribute('data-rows'))).toBe(summary.anomalies);
    expect(await page.getByTestId('scored-by').innerText()).toMatch(/^model web \(trained on nginx logs/);
    expect(errors).toEqual([]);
    await screenshot(page, 'standalone.png');
  });

  it('fits the window: no horizontal scrollbar at 1400 or 800 px', async () => {
    for (const width of [1400, 800]) {
      await page.setViewportSize({ width, height: 1000 });
      await page.waitForFunction((w) => innerWidth === w, width);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const sizes = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, window: innerWidth }));
      expect(sizes.scroll, `at ${width} px`).toBeLessThanOrEqual(sizes.window);
    }
    await page.setViewportSize({ width: 1440, height: 1000 });
  });

  it('lists the planted attacks at high or critical severity', async () => {
    await page.getByTestId('filter-low').click();
    await page.getByTestId('filter-medium').click();
    const rows = await tableRows();
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.severity))).toEqual(
      new Set(rows.filter((r) => ['high', 'critical'].includes(r.severity)).map((r) => r.severity)),
    );

    const found = rows.filter((r) => attacks.has(r.line));
    const kinds = new Set(found.map((r) => attacks.get(r.line)));
    console.log(
      `planted attack lines: ${attacks.size}; listed at high/critical: ${found.length} of ${rows.length} rows; kinds: ${[...kinds].join(', ')}`,
    );
    // most rows at high or critical are planted attacks, and several kinds of attack are among them
    expect(found.length / rows.length).toBeGreaterThan(0.5);
    expect(kinds.size).toBeGreaterThanOrEqual(3);
  });

  it('shows the watched streams live, from the Loki-compatible API', async () => {
    await page.getByRole('tab', { name: 'Live streams' }).click();
    await page.getByTestId('anomaly-table').waitFor();
    expect(Number(await page.getByTestId('anomaly-table').getAttribute('data-rows'))).toBeGreaterThan(0);
    // the totals come from counts by severity over every line of the stream, normal ones included
    expect(await page.getByTestId('total-lines').innerText()).toContain(LINES.toLocaleString('en-US'));
    const lines = await page
      .getByTestId('anomaly-row')
      .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('[title]')].at(-1)?.getAttribute('title')));
    expect(lines.some((l) => l && attacks.has(l))).toBe(true);
    expect(errors).toEqual([]);
    await screenshot(page, 'standalone-live.png');
  });

  it('takes "not an anomaly" on a row: the next query leaves its pattern out, and the undo brings it back', async () => {
    const templates = () =>
      page
        .getByTestId('anomaly-row')
        .evaluateAll((rows) => rows.map((r) => r.querySelectorAll('[title]')[2]?.getAttribute('title') ?? ''));
    const before = await templates();
    const row = page.getByTestId('anomaly-row').first();
    const template = (await row.locator('[title]').nth(2).getAttribute('title'))!;
    expect(before).toContain(template);

    const sent = page.waitForResponse((r) => r.url().endsWith('/api/v1/feedback') && r.request().method() === 'POST');
    await row.getByTestId('mark-not-anomaly').click();
    const response = await sent;
    expect(response.status()).toBe(201);
    expect(response.request().postDataJSON()).toMatchObject({
      kind: 'false_positive',
      template,
      labels: { job: 'web' },
    });
    await expect.poll(() => page.getByTestId('feedback-notice').innerText()).toMatch(/Marked not an anomaly/);
    await expect.poll(templates, { timeout: 20_000 }).not.toContain(template);

    await page.getByTestId('feedback-undo').click();
    await expect.poll(() => page.getByTestId('feedback-notice').innerText()).toMatch(/Undone/);
    await expect.poll(templates, { timeout: 20_000 }).toContain(template);
    expect(errors).toEqual([]);
  });

  it('offers to learn from a file no loaded model reads, and says which model scored it', async () => {
    await page.getByRole('tab', { name: 'Analyse a file' }).click();
    const errorLog = Array.from(
      { length: 400 },
      (_, i) =>
        `[Sun Dec 04 04:${String(47 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties`,
    ).join('\n');
    await dropFile('error_log.log', errorLog);
    await expect.poll(() => page.getByTestId('model-choice').innerText()).toMatch(/apache-error/);
    expect(await page.getByRole('radio', { name: 'Learn from this file' }).isChecked()).toBe(true);
    expect(await page.getByRole('radio', { name: 'web' }).isDisabled()).toBe(true);
    const job = page.waitForResponse((r) => r.url().endsWith('/api/v1/uploads') && r.request().method() === 'POST');
    await page.getByTestId('analyse').click();
    expect((await job).status()).toBe(202);
    await expect
      .poll(() => page.getByTestId('scored-by').innerText(), { timeout: 60_000 })
      .toBe('a model learnt from this file (apache-error format)');
    expect(await page.getByTestId('total-lines').innerText()).toContain('400');
    expect(errors).toEqual([]);
  });
});
