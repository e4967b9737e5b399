import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'anomalog-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  join(dir, 'anomalog.yaml'),
  `server: { port: 0, host: 127.0.0.1 }
defaults: { detector: iforest, model: web }
sources:
  file:
    - { path: "data/logs/access*.log", labels: { job: web } }
streams:
  - { selector: '{job="web"}', model: web }
watch: { streams: ['{job="web"}'], interval: 500ms }
log: { level: warn }
`,
);

describe('anomalog start (npm start)', () => {
  it('trains a missing model, runs the demo, scores new lines, and stops cleanly on SIGINT', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        MAIN,
        'start',
        '--config',
        join(dir, 'anomalog.yaml'),
        '--generator-port',
        '0',
        '--train-lines',
        '2000',
        '--rate',
        '40',
        '--duration',
        '90',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    const api = await new Promise<string>((resolve, reject) => {
      // The banner is several writes: wait for its last line before reading it.
      const poll = setInterval(() => {
        const url = /REST API\s+\S*?(http:\/\/\S+)/.exec(stdout)?.[1];
        if (url && stdout.includes('Anomalies print below')) resolve(url);
      }, 100);
      void exited
        .then((code) => reject(new Error(`start exited early (${code}): ${stderr}`)))
        .finally(() => clearInterval(poll));
      void new Promise((r) => setTimeout(r, 60_000)).then(() =>
        reject(new Error(`no URL printed: ${stdout} ${stderr}`)),
      );
    });
    expect(stderr).toMatch(/no web model .* training one \(iforest\) on 2000 generated lines/);
    expect(stdout).toMatch(/Loki-compatible API\s+\S*http:\/\/localhost:\d+/);
    expect(stdout).toMatch(/demo shop \(generator\)\s+\S*http:\/\/127\.0\.0\.1:\d+/);

    let scored = 0;
    for (let i = 0; i < 100 && scored === 0; i++) {
      await new Promise((r) => setTimeout(r, 300));
      scored = ((await (await fetch(`${api.replace(/\x1b\[[0-9;]*m/g, '')}/stats`)).json()) as { linesScored: number })
        .linesScored;
    }
    expect(scored).toBeGreaterThan(0);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/stopping \(SIGINT\)/);
    expect(stdout).toMatch(/stopped; watcher checkpoint at/);
    const checkpoint = JSON.parse(readFileSync(join(dir, 'data/anomalog-checkpoint.json'), 'utf8')) as {
      files: Record<string, { file: { path: string } }>;
    };
    expect(Object.values(checkpoint.files).some((f) => f.file.path.endsWith('access.log'))).toBe(true);
    expect(existsSync(join(dir, 'models/web.json'))).toBe(true);
  }, 120_000);

  it('a missing default model is an error naming it, never a silent retrain (--no-generator, or once installed)', async () => {
    const run = (extra: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', MAIN, 'start', '--config', join(dir, 'anomalog.yaml'), '--duration', '5', ...extra],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
    const { renameSync, mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'models', 'previous'), { recursive: true });
    renameSync(join(dir, 'models', 'web.json'), join(dir, 'models', 'previous', 'web.json'));
    const noGenerator = await run(['--no-generator']);
    expect(noGenerator.code).not.toBe(0);
    expect(noGenerator.stderr).toMatch(/default model "web" is missing: .*models\/web\.json/);
    const withGenerator = await run(['--generator-port', '0']);
    expect(withGenerator.code).not.toBe(0);
    expect(withGenerator.stderr).toMatch(/previous\/web\.json/);
    expect(withGenerator.stderr).not.toMatch(/training one/);
    expect(existsSync(join(dir, 'models', 'web.json'))).toBe(false);
  }, 120_000);
});
