import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '@anomalog/cli-kit';
import { writeTraffic } from '../traffic/offline.js';
import { augmentCommand, simulateCommand } from './hdfs.js';
import { trafficCommand, withEveryScenario } from './traffic.js';
import { webCommand } from './web.js';

const BIN = fileURLToPath(new URL('../../bin/anomalog-generate.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'anomalog-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  out: string;
  err: string;
}

const run = (args: string[]) =>
  new Promise<Run>((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (error, out, err) =>
      resolve({ code: error ? Number(error.code) : 0, out, err }),
    );
  });

const TRAFFIC_OUT = join(dir, 'access.log');

// The processes start together: each pays Node and tsx start-up, and they overlap.
let help: Run;
let traffic: Run;
let bad: Run;
beforeAll(async () => {
  [help, traffic, bad] = await Promise.all([
    run(['--help']),
    run(['traffic', '--lines', '3000', '--anomaly-rate', '0.1', '--seed', '42', '--out', TRAFFIC_OUT]),
    run(['hdfs-augment', '--input', BIN, '--out', join(dir, 'h')]),
  ]);
});

describe('anomalog-generate', () => {
  it('lists its commands', () => {
    const { code, out } = help;
    expect(code).toBe(0);
    for (const c of ['web', 'traffic', 'hdfs-augment', 'hdfs-simulate'])
      expect(out).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('writes traffic and prints a summary with lines, labels and paths', () => {
    const [r, out] = [traffic, TRAFFIC_OUT];
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/lines\s+3,000/);
    expect(r.out).toMatch(/normal\s+[\d,]+/);
    expect(r.out).toContain(`${out}.labels.jsonl`);
    expect(readFileSync(out, 'utf8').split('\n')).toHaveLength(3001);
  });

  it('says which scenarios produced no line instead of leaving them out', () => {
    const counts = withEveryScenario({ normal: 1960, sql_injection: 40 }, undefined);
    expect(counts).toMatchObject({ normal: 1960, sql_injection: 40, outage_5xx: 0, latency_spike: 0 });
    expect(counts).not.toHaveProperty('disguised_scanner'); // off unless asked for
    expect(withEveryScenario({ normal: 10 }, { xss: 1, scanner: 0 })).toEqual({ normal: 10, xss: 0 });
  });

  it('writes the same bytes in another process for the same seed', () => {
    mkdirSync(join(dir, 'again'));
    const again = join(dir, 'again', 'access.log');
    writeTraffic({ out: again, lines: 3000, anomalyRate: 0.1, seed: 42 });
    expect(readFileSync(again)).toEqual(readFileSync(TRAFFIC_OUT));
    expect(readFileSync(`${again}.labels.jsonl`)).toEqual(readFileSync(`${TRAFFIC_OUT}.labels.jsonl`));
  });

  it('reports a user mistake in one line with exit code 2, no stack trace', () => {
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/is not an HDFS log: line 1 does not look like/);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [
      trafficCommand,
      ['--lines', '10', '--anomaly-rate', '-0.1', '--out', join(dir, 'x.log')],
      /^--anomaly-rate: must be between 0 and 1$/,
    ],
    [
      trafficCommand,
      ['--lines', '10', '--out', '/proc/no/such/dir/x.log'],
      /^cannot write \/proc\/no\/such\/dir\/x\.log: ENOENT$/,
    ],
    [trafficCommand, ['--lines', '1.5', '--out', join(dir, 'x.log')], /^--lines: must be a whole number$/],
    [
      trafficCommand,
      ['--lines', '10', '--out', join(dir, 'x.log'), '--scenarios', 'xss,meteor'],
      /^--scenarios: unknown scenario "meteor"/,
    ],
    [
      simulateCommand,
      ['--blocks', '5', '--out', join(dir, 's'), '--frobnicate'],
      /^unknown option --frobnicate \(see: anomalog-generate hdfs-simulate --help\)$/,
    ],
    [simulateCommand, ['--blocks', '0', '--out', join(dir, 's')], /^--blocks: must be at least 1$/],
    [augmentCommand, ['--variations', '2'], /^--out: required/],
    [webCommand, ['--sink', 'ftp://x'], /^--sink ftp:\/\/x: expected file:DIR, stdout or loki:URL$/],
    [webCommand, ['--port', '70000'], /^--port: must be 0-65535$/],
  ] as const)('rejects %o %j as a user mistake', async (command, args, message) => {
    const error = await command([...args]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toMatch(message);
  });

  it('names a port already in use and the option that changes it (exit 2)', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as AddressInfo;
    try {
      const error = await webCommand(['--port', String(port), '--host', '127.0.0.1', '--sink', 'stdout']).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(2);
      expect((error as Error).message).toBe(
        `port ${port} (the shop) is already in use: stop what holds it, or choose another with --port`,
      );
    } finally {
      holder.close();
    }
  });
});
