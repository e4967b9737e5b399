import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** What `npx anomalog` runs: the package's bin (the compiled build of the sources). */
const BIN = fileURLToPath(new URL('../../bin/anomalog.js', import.meta.url));
const SHIPPED_WEB = fileURLToPath(new URL('../../../models/web.json', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'anomalog-start-errors-'));
let taken: Server;
let port: number;

beforeAll(async () => {
  mkdirSync(join(dir, 'models'));
  copyFileSync(SHIPPED_WEB, join(dir, 'models', 'web.json'));
  writeFileSync(
    join(dir, 'anomalog.yaml'),
    `server: { port: 0, host: 127.0.0.1 }
defaults: { detector: iforest, model: web }
sources:
  file:
    - { path: "data/logs/access*.log", labels: { job: web } }
watch: { streams: ['{job="web"}'], interval: 500ms }
`,
  );
  // A real server holds the port, as another program would.
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  port = (taken.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(command: string, args: string[], opts: { onStdout?: (text: string) => void } = {}): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      opts.onStdout?.(stdout);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

const start = (...args: string[]) =>
  run(process.execPath, [BIN, 'start', '--config', join(dir, 'anomalog.yaml'), '--duration', '60', ...args]);

describe('anomalog start with a port in use', () => {
  it('the API port: one line naming the port and --port, exit code 2, no shop started', async () => {
    const r = await start('--port', String(port), '--generator-port', '0');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `anomalog: port ${port} (the API) is already in use: stop what holds it, or choose another with --port N`,
    ]);
    expect(r.code).toBe(2);
    expect(r.ms).toBeLessThan(50_000); // it exits at once, not at --duration
    expect(existsSync(join(dir, 'data', 'logs')) ? readdirSync(join(dir, 'data', 'logs')) : []).toEqual([]);
  }, 90_000);

  it('the demo shop port: one line naming the port and --generator-port, exit code 2, nothing left running', async () => {
    const r = await start('--port', '0', '--generator-port', String(port));
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `anomalog: port ${port} (the demo shop) is already in use: stop what holds it, or choose another with --generator-port N`,
    ]);
    expect(r.code).toBe(2);
    expect(r.ms).toBeLessThan(50_000);
    expect(r.stdout).not.toMatch(/anomalog is running/);
  }, 90_000);
});

describe('anomalog start log lines', () => {
  // A model file with a name the registry refuses: the start logs a warning about it.
  beforeAll(() => writeFileSync(join(dir, 'models', 'not a name!.json'), '{}'));

  const warning = 'model not loaded: name it with letters, digits, - and _';

  it('are one readable line each on a terminal, never raw JSON', async () => {
    // `script` gives the child a real pseudo-terminal, as an interactive shell has.
    const command = [process.execPath, BIN, 'start', '--config', join(dir, 'anomalog.yaml'), '--no-generator']
      .concat(['--port', '0', '--duration', '3'])
      .map((a) => `'${a}'`)
      .join(' ');
    const r = await run('script', ['-qec', command, '/dev/null']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split(/\r?\n/);
    expect(lines.some((l) => new RegExp(`^\\S*\\d\\d:\\d\\d:\\d\\d\\S* \\S*WARN\\s*\\S* ${warning}`).test(l))).toBe(
      true,
    );
    expect(lines.filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
  }, 90_000);

  it('are JSON when the output is not a terminal', async () => {
    const r = await start('--no-generator', '--port', '0', '--duration', '3');
    expect(r.code).toBe(0);
    const json = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(json).toContainEqual(expect.objectContaining({ level: 40, msg: warning }));
  }, 90_000);
});
