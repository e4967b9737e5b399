import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../models/index.js';
import { createApp } from '../app.js';
import { testContext, webLines, type TestContext } from '../../../testkit/app.js';
import { DATASETS } from '../../../test/fixtures/datasets.js';
import { HDFS_SAMPLE as HDFS } from '@anomalog/generator';

const LOGHUB = join(DATASETS, 'loghub_2k');
const SHIPPED = fileURLToPath(new URL('../../../../models/', import.meta.url));

interface Reply {
  id: string;
  model: string;
  learned: boolean;
  format: string;
  modelFormat: string;
  warnings: string[];
  summary: { lines: number; anomalies: number };
}

let t: TestContext;
let app: Hono;

// The shipped models and the shipped defaults (ensemble), as `npm start` serves them.
beforeAll(async () => {
  const models = { web: await loadModel(join(SHIPPED, 'web.json')), hdfs: await loadModel(join(SHIPPED, 'hdfs.json')) };
  t = await testContext(models, { defaults: { detector: 'ensemble', model: 'web' } });
  app = createApp(t.ctx);
});
afterAll(() => t.cleanup());

function upload(text: string, name: string, fields: Record<string, string> = {}, fieldsAfter = false) {
  const form = new FormData();
  const file = () => form.append('file', new Blob([text]), name);
  if (fieldsAfter) file();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (!fieldsAfter) file();
  return app.request('/api/v1/uploads', { method: 'POST', body: form });
}

const share = (r: Reply) => r.summary.anomalies / r.summary.lines;

describe('uploads choose their model', () => {
  const files = readdirSync(LOGHUB, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(LOGHUB, d.name, `${d.name}_2k.log`));

  it.each(files)('%s with no model choice flags at most 5% of its lines', async (path) => {
    const res = await upload(readFileSync(path, 'utf8'), path.split('/').pop()!);
    expect(res.status).toBe(201);
    const body = (await res.json()) as Reply;
    expect(body.summary.lines).toBe(2000);
    const figure = `${body.format}, model ${body.model}: ${body.summary.anomalies} of 2,000 lines flagged`;
    expect(share(body), figure).toBeLessThanOrEqual(0.05);
    expect(body.warnings).toEqual([]);
  });

  it('scores HDFS with the hdfs model, access logs with the web model, and says which', async () => {
    const hdfs = (await (await upload(readFileSync(HDFS, 'utf8'), 'HDFS_2k.log')).json()) as Reply;
    expect([hdfs.model, hdfs.learned, hdfs.format]).toEqual(['hdfs', false, 'hdfs']);
    expect(share(hdfs)).toBeLessThanOrEqual(0.05);
    const web = (await (await upload(webLines(300, 5).join('\n'), 'access.log')).json()) as Reply;
    expect([web.model, web.learned, web.format, web.modelFormat]).toEqual(['web', false, 'nginx', 'nginx']);
  });

  it('learns from the file when asked, and warns when the chosen model does not fit the format', async () => {
    const apache = readFileSync(join(LOGHUB, 'Apache/Apache_2k.log'), 'utf8');
    const forced = (await (await upload(apache, 'Apache_2k.log', { model: 'web' })).json()) as Reply;
    expect(forced.model).toBe('web');
    expect(forced.warnings.join()).toMatch(/apache-error logs but model "web" was trained on nginx/);

    const web = webLines(400, 9).join('\n');
    const learnt = (await (await upload(web, 'shop.log', { learn: 'true', detector: 'iforest' })).json()) as Reply;
    expect([learnt.model, learnt.learned, learnt.format]).toEqual(['shop', true, 'nginx']);

    const both = await upload(web, 'shop.log', { learn: 'true', model: 'web' });
    expect(both.status).toBe(400);
  });

  it('counts the lines of an upload scored by a model learnt from it in anomalog_lines_scored_total', async () => {
    const labels = JSON.stringify({ job: 'learnt-upload' });
    const res = await upload(webLines(300, 12).join('\n'), 'shop.log', { learn: 'true', detector: 'iforest', labels });
    expect(((await res.json()) as Reply).learned).toBe(true);
    const metrics = await (await app.request('/metrics')).text();
    const counted = [
      ...metrics.matchAll(
        /anomalog_lines_scored_total\{stream="\{job=\\"learnt-upload\\"\}",detector="iforest",severity="\w+"\} (\d+)/g,
      ),
    ];
    expect(counted.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(300);
  });

  it('refuses a field sent after the file, saying why, instead of ignoring it', async () => {
    const res = await upload(webLines(20, 3).join('\n'), 'a.log', { model: 'hdfs' }, true);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/"model" field came after the file/);
  });

  it('answers 202 with a job when asked not to wait; the job ends with the upload', async () => {
    const res = await upload(webLines(200, 4).join('\n'), 'a.log', {
      wait: 'false',
      learn: 'true',
      detector: 'iforest',
    });
    expect(res.status).toBe(202);
    const { job } = (await res.json()) as { job: string };
    let state: { state: string; progress: number; result?: Reply } = { state: 'queued', progress: 0 };
    for (let i = 0; i < 600 && !['succeeded', 'failed'].includes(state.state); i++) {
      await new Promise((r) => setTimeout(r, 50));
      state = (await (await app.request(`/api/v1/jobs/${job}`)).json()) as typeof state;
    }
    expect(state.state).toBe('succeeded');
    expect(state.result?.learned).toBe(true);
    expect((await app.request(`/api/v1/uploads/${state.result!.id}`)).status).toBe(200);
  });

  it('tells the page which models fit a file before it is sent', async () => {
    const res = await app.request('/api/v1/uploads/fit', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ lines: readFileSync(HDFS, 'utf8').split('\n').slice(0, 50) }),
    });
    const body = (await res.json()) as {
      format: string;
      models: { name: string; fits: boolean }[];
      suggested: unknown;
    };
    expect(body.format).toBe('hdfs');
    expect(body.models).toEqual([
      { name: 'hdfs', format: 'hdfs', fits: true },
      { name: 'web', format: 'nginx', fits: false },
    ]);
    expect(body.suggested).toEqual({ model: 'hdfs' });
  });
});
