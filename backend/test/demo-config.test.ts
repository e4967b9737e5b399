import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWebApp } from '@anomalog/generator';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/api/app.js';
import { loadConfig } from '../src/config/index.js';
import { createContext } from '../src/service/context.js';
import { createSources } from '../src/sources/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'anomalog-demo-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the shipped anomalog.yaml and models, over what the demo shop writes', () => {
  it('{job=~".+"} answers lines of every stream the demo writes, each scored, with no warning', async () => {
    // The real shop, writing its logs where the shipped config reads them (data/logs under the config's directory).
    const web = await startWebApp({
      port: 0,
      host: '127.0.0.1',
      sinks: [{ kind: 'file', dir: join(dir, 'data/logs') }],
    });
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    await fetch(`${web.url}/`);
    await fetch(`${web.url}/login`, { method: 'POST', headers: form, body: 'user=shopper&password=wrong' });
    await fetch(`${web.url}/admin`);
    await web.close();
    const written = readdirSync(join(dir, 'data/logs')).sort();
    expect(written).toEqual(['access.log', 'app.log']);

    const config = loadConfig({
      path: join(ROOT, 'anomalog.yaml'),
      env: {},
      baseDir: dir,
      overrides: { models: { dir: join(ROOT, 'models') } },
    });
    const sources = createSources(config);
    try {
      const ctx = await createContext(config, { sources, log: pino({ level: 'silent' }) });
      const query = new URLSearchParams({ query: '{job=~".+"}', limit: '1000' });
      const res = await createApp(ctx).request(`/loki/api/v1/query_range?${query}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        warnings?: string[];
        data: { result: { stream: Record<string, string> }[] };
      };
      expect(body.warnings).toBeUndefined();
      const files = new Set(body.data.result.map((s) => s.stream.filename.split('/').pop()));
      expect([...files].sort()).toEqual(written);
      for (const { stream } of body.data.result) expect(stream.anomaly_severity).toBeDefined();
    } finally {
      await sources.close();
    }
  });
});
