/** Shared by the CLI benchmarks: generated inputs under bench/.cache and timed runs of `anomalog` in a child. */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const CACHE = join(ROOT, 'bench', '.cache');
/** The `anomalog` CLI. */
export const BIN = join(ROOT, 'backend', 'bin', 'anomalog.js');

/** A deterministic access log of `lines` lines from ../shared/bench/make_access_log.py, generated once. */
export function accessLog(lines: number): string {
  mkdirSync(CACHE, { recursive: true });
  const path = join(CACHE, `access_${lines >= 1e6 && lines % 1e6 === 0 ? `${lines / 1e6}m` : `${lines / 1000}k`}.log`);
  if (!existsSync(path)) {
    process.stderr.write(`generating ${path}\n`);
    execFileSync('/usr/bin/python3', [join(ROOT, '..', 'shared', 'bench', 'make_access_log.py'), String(lines), path], {
      cwd: ROOT,
    });
  }
  return path;
}

export interface Timed {
  seconds: number;
  peakRssMb: number;
  stderr: string;
}

/**
 * Runs `anomalog ...args` with stdout to a file (/dev/null), under /usr/bin/time -v for the peak RSS. A scan learns
 * as a first scan of its input does: no model kept from an earlier one (`modelCache` names a directory to use one).
 */
export function timeAnomalog(args: string[], stdoutTo = '/dev/null', modelCache = 'off'): Promise<Timed> {
  return timeCommand('/usr/bin/time', ['-v', process.execPath, BIN, ...args], stdoutTo, {
    ...process.env,
    ANOMALOG_CACHE_DIR: modelCache,
  });
}

export function timeCommand(
  cmd: string,
  args: string[],
  stdoutTo = '/dev/null',
  env = process.env,
): Promise<Timed & { stdout: string }> {
  return new Promise((resolve, reject) => {
    const fd = stdoutTo === 'pipe' ? undefined : openSync(stdoutTo, 'w');
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', fd ?? 'pipe', 'pipe'], env });
    let stderr = '';
    let stdout = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (fd !== undefined) closeSync(fd);
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      resolve({ seconds, peakRssMb: rss ? Math.round(Number(rss[1]) / 1024) : NaN, stderr, stdout });
    });
  });
}

export function round(x: number, digits = 1): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

/** Runs a command from the project root to its end: its stdout, or an error that ends with the end of its stderr. */
export function output(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.slice(-400)}`);
  return r.stdout;
}

/**
 * The row of the peer ../shared/bench/tfidf_iforest_peer.py scanning `file` self-trained: `row` reads its `--json`
 * lines; a peer that cannot run (no python3, no sklearn) gives a row with the error.
 */
export function peerRow(
  name: string,
  file: string,
  row: (stdout: string) => Record<string, string | number>,
): Record<string, string | number> {
  process.stderr.write('peer: tfidf_iforest_peer.py\n');
  try {
    return {
      name,
      ...row(output('/usr/bin/python3', [join(ROOT, '..', 'shared', 'bench', 'tfidf_iforest_peer.py'), file])),
    };
  } catch (e) {
    return { name: 'peer: tfidf_iforest_peer.py', error: (e as Error).message.slice(0, 120) };
  }
}
