/**
 * Chaos: the real service (`anomalog start --no-generator`, a child process) is killed with SIGKILL at random points
 * while a writer appends and rotates its log (rename + create, and copytruncate). Severity thresholds of 0 make
 * every line an anomaly, so Loki (the fake, which drops duplicates as Loki does) must end up holding every line
 * written, exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '@anomalog/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveModel } from '../models/index.js';
import { startFakeLoki, type FakeLoki } from '../../testkit/fake-loki.js';
import { trafficLines, trainWebModel } from '../../testkit/app.js';

const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'anomalog-chaos-'));
const log = join(dir, 'logs', 'access.log');
let loki: FakeLoki;

beforeAll(async () => {
  loki = await startFakeLoki();
  mkdirSync(join(dir, 'logs'));
  await saveModel(join(dir, 'models', 'web.json'), await trainWebModel());
  writeFileSync(
    join(dir, 'anomalog.yaml'),
    `server: { port: 0, host: 127.0.0.1 }
defaults: { detector: iforest, model: web }
thresholds: { iforest: { low: 0, medium: 0.99, high: 0.995, critical: 0.999 } }
sources:
  file:
    - { path: "logs/access*.log", labels: { job: web } }
watch: { streams: ['{job="web"}'], interval: 100ms, push: { url: "${loki.url}" }, checkpoint: state/checkpoint.json }
log: { level: error }
`,
  );
}, 120_000);
afterAll(async () => {
  await loki?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the service; resolves once it says it is running. */
function startService(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, 'start', '--no-generator', '--config', join(dir, 'anomalog.yaml')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('anomalog is running')) resolve(child);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && signal !== 'SIGINT' && code !== 0)
        reject(new Error(`service exited ${code}: ${err}`));
    });
  });
}

const stored = () => [...loki.streams.values()].flatMap((s) => s.entries.map((e) => e.line));

describe('chaos: kill -9 while a writer appends and rotates', () => {
  it('every line is delivered exactly once', async () => {
    const random = mulberry32(18);
    const lines = trafficLines({ lines: 6_000, seed: 18, anomalyRate: 0.05, start: Date.UTC(2026, 0, 1) });
    let next = 0;
    let rotations = 0;
    writeFileSync(log, '');
    let service = await startService();
    // Once its first checkpoint is written the service watches the (empty) file: every line after that counts.
    for (let i = 0; i < 300 && !existsSync(join(dir, 'state/checkpoint.json')); i++)
      await new Promise((r) => setTimeout(r, 50));
    // The writer: bursts of lines every few milliseconds; every ~700 lines a rotation, alternating the two modes.
    const writer = (async () => {
      while (next < lines.length) {
        const burst = lines.slice(next, next + 1 + Math.floor(random() * 20));
        appendFileSync(log, `${burst.join('\n')}\n`);
        next += burst.length;
        if (Math.floor(next / 700) > rotations) {
          rotations++;
          const rotated = `${log}.${rotations}`;
          if (rotations % 2) {
            renameSync(log, rotated);
            writeFileSync(log, '');
          } else {
            copyFileSync(log, rotated);
            truncateSync(log, 0);
          }
        }
        await new Promise((r) => setTimeout(r, 20 + random() * 40));
      }
    })();

    let kills = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 200 + random() * 1_500));
      service.kill('SIGKILL');
      kills++;
      await new Promise((r) => service.once('exit', r));
      if (next >= lines.length) break;
      service = await startService();
    }
    await writer;

    service = await startService();
    for (let i = 0; i < 600 && stored().length < lines.length; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500)); // anything past the count would be a duplicate
    service.kill('SIGINT');
    await new Promise((r) => service.once('exit', r));

    const count = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
    const [want, got] = [count(lines), count(stored())];
    const lost = [...want].filter(([l, n]) => (got.get(l) ?? 0) < n).length;
    const duplicated = [...got].filter(([l, n]) => n > (want.get(l) ?? 0)).length;
    expect({ kills: kills > 2, rotations: rotations >= 8, lost, duplicated, stored: stored().length }).toEqual({
      kills: true,
      rotations: true,
      lost: 0,
      duplicated: 0,
      stored: lines.length,
    });
  }, 300_000);
});
