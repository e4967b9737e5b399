import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const clone = mkdtempSync(join(tmpdir(), 'anomalog-clone-'));
afterAll(() => rmSync(clone, { recursive: true, force: true }));

/**
 * The README's set-up on a fresh clone of the committed tree: its dependencies are the ones installed here (linked,
 * as `npm install` would have put them), so what is tested is the rest of `npm install && npm start`: the page the
 * banner points at is there without `npm run build`.
 */
describe('a fresh clone, then npm start', () => {
  it('serves the standalone page at GET /', async () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    execFileSync('git', ['clone', '--quiet', '--no-checkout', ROOT, clone]);
    execFileSync('git', ['checkout', '--quiet', head], { cwd: clone });
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    // npm puts a workspace's own node_modules beside it only where versions clash
    for (const ws of ['plugin', 'backend', 'generator'])
      if (existsSync(join(ROOT, ws, 'node_modules')))
        symlinkSync(join(ROOT, ws, 'node_modules'), join(clone, ws, 'node_modules'));
    // The README's demo, kept off the default ports and without the shop (the page is what is checked here).
    writeFileSync(
      join(clone, 'test.yaml'),
      `server: { port: 0, host: 127.0.0.1 }\nsources: { file: [{ path: "data/logs/access*.log", labels: { job: web } }] }\n`,
    );
    const child = spawn('npm', ['start', '--', '--config', 'test.yaml', '--no-generator', '--duration', '60'], {
      cwd: clone,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
      detached: true, // its own process group, which Ctrl-C stops as a whole
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const page = await new Promise<string>((resolve, reject) => {
        const poll = setInterval(() => {
          const url = /standalone page\s+(http:\/\/\S+)/.exec(out)?.[1];
          if (url) resolve(url);
        }, 100);
        void exited.then(() => reject(new Error(`npm start exited: ${out}`))).finally(() => clearInterval(poll));
      });
      const res = await fetch(page);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(await res.text()).toMatch(/<script[^>]+app\.js/);
    } finally {
      process.kill(-child.pid!, 'SIGINT');
      await exited;
    }
  }, 180_000);
});
