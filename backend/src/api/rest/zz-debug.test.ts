import { it, expect } from 'vitest';
import { createApp } from '../app.js';
import { testContext, trainWebModel } from '../testing.js';
it('each', async () => {
  const t = await testContext({ web: await trainWebModel('web', 500) }, { server: { limits: { uploadBytes: 200_000, lineBytes: 2048 } } });
  const app = createApp(t.ctx);
  const up = (file: Blob, name: string, fields: Record<string,string> = {}) => { const f = new FormData(); for (const [k,v] of Object.entries(fields)) f.append(k,v); f.append('file', file, name); return app.request('/api/v1/uploads', { method: 'POST', body: f }); };
  const junk = Buffer.from(new Uint8Array(8192).map((_, i) => (i * 7919) % 256));
  const cases: [string, () => Promise<Response>][] = [
    ['big', () => up(new Blob(['x\n'.repeat(200000)]), 'big.log')],
    ['junk', () => up(new Blob([new Uint8Array(junk)]), 'junk.log')],
    ['gz', () => up(new Blob(['not gzip']), 'x.log.gz')],
    ['exe', () => up(new Blob(['a']), 'tool.exe')],
    ['det', () => up(new Blob(['a']), 'a.log', { detector: 'forest' })],
    ['model', () => up(new Blob(['a']), 'a.log', { model: 'missing' })],
    ['empty', () => app.request('/api/v1/uploads', { method: 'POST', body: new FormData() })],
  ];
  for (const [name, fn] of cases) {
    const r = await Promise.race([fn(), new Promise<string>((res) => setTimeout(() => res('TIMEOUT'), 5000))]);
    console.log(name, typeof r === 'string' ? r : `${r.status} ${await r.text()}`);
  }
  await t.cleanup();
}, 120000);
