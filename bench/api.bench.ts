/**
 * The REST API under load, against a real server on 127.0.0.1 in its own process:
 *  - sustained POST /api/v1/analyze/batch throughput (lines/s, batches of 1,000, two requests in flight), per detector;
 *  - one POST /api/v1/uploads of 100,000 lines (lines/s and MB/s);
 *  - autocannon, 100 connections for 20 s, on POST /api/v1/analyze (one line per request): requests/s, latency,
 *    errors and non-2xx counts (after an uncounted 3 s warm-up), with the machine's load average beside it.
 * Uses models/web.json when it exists (npm run train:defaults), else trains an Isolation Forest web model on
 * generated traffic. Run: npx tsx bench/api.bench.ts   (ANALYZE_SECONDS and CANNON_SECONDS shorten it)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { trafficLines } from '../backend/testkit/app.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SHIPPED_MODELS = join(ROOT, 'models');
const ANALYZE_SECONDS = Number(process.env.ANALYZE_SECONDS ?? 10);
const CANNON_SECONDS = Number(process.env.CANNON_SECONDS ?? 20);
const BATCH = 1_000;
const IN_FLIGHT = 2;

const lines = trafficLines({ lines: 20_000, seed: 404, anomalyRate: 0.02 });

/** The server process: `api.bench.ts --serve MODELS_DIR DATA_DIR` prints its URL on stdout. */
async function serve(modelsDir: string, dataDir: string): Promise<void> {
  const { loadConfig } = await import('../backend/src/config/index.js');
  const { createContext } = await import('../backend/src/service/context.js');
  const { createSources } = await import('../backend/src/sources/index.js');
  const { startServer } = await import('../backend/src/api/server.js');
  const config = loadConfig({
    path: null,
    env: {},
    baseDir: dataDir,
    overrides: { models: { dir: modelsDir }, log: { level: 'warn' }, sources: { file: [] } },
  });
  const ctx = await createContext(config, { sources: createSources(config) });
  const server = await startServer(ctx, { port: 0, host: '127.0.0.1' });
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
  process.stdout.write(`${server.url}\n`);
}

async function ensureModel(dir: string): Promise<string> {
  if (existsSync(join(SHIPPED_MODELS, 'web.json'))) return SHIPPED_MODELS;
  process.stderr.write('models/web.json missing: training an iforest web model on 20,000 generated lines\n');
  const { train } = await import('../backend/src/pipeline/index.js');
  const { saveModel } = await import('../backend/src/models/index.js');
  const normal = trafficLines({ lines: 20_000, seed: 7, anomalyRate: 0 });
  await saveModel(
    join(dir, 'web.json'),
    await train(normal, { name: 'web', seed: 7, detector: 'iforest', source: 'bench' }),
  );
  return dir;
}

function startChild(modelsDir: string, dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', modelsDir, dataDir],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolveUrl, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /http:\/\/\S+/.exec(out)?.[0];
      if (url) resolveUrl({ child, url });
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

async function json(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function models(url: string): Promise<{ name: string; members: string[]; detector: string }[]> {
  return (
    (await (await fetch(`${url}/api/v1/models`)).json()) as {
      models: { name: string; members: string[]; detector: string }[];
    }
  ).models;
}

async function batchThroughput(url: string, detector: string) {
  let sent = 0;
  let requests = 0;
  let cursor = 0;
  const body = () => {
    const start = (cursor = (cursor + BATCH) % (lines.length - BATCH));
    return { lines: lines.slice(start, start + BATCH), labels: { job: 'web' }, detector };
  };
  await json(`${url}/api/v1/analyze/batch`, body());
  const t0 = performance.now();
  const until = t0 + ANALYZE_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < until) {
        await json(`${url}/api/v1/analyze/batch`, body());
        sent += BATCH;
        requests++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    name: `analyze/batch ${detector} (${BATCH} lines/request)`,
    lines_per_s: Math.round(sent / seconds),
    requests,
    seconds: Number(seconds.toFixed(1)),
  };
}

/** One multipart upload of `copies` x the generated lines, scored as it streams in. */
async function uploadThroughput(url: string, copies: number) {
  const text = `${lines.join('\n')}\n`.repeat(copies);
  const form = new FormData();
  form.append('file', new Blob([text]), 'access.log');
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/uploads`, { method: 'POST', body: form });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  const seconds = (performance.now() - t0) / 1000;
  const { summary } = (await res.json()) as { summary: { lines: number } };
  return {
    name: `upload (${(text.length / 1e6).toFixed(0)} MB, multipart, streamed)`,
    lines_per_s: Math.round(summary.lines / seconds),
    mb_per_s: Number((text.length / 1e6 / seconds).toFixed(1)),
    seconds: Number(seconds.toFixed(1)),
  };
}

/** autocannon on POST /api/v1/analyze, after a 3 s warm-up at the same load that is not counted. */
async function cannon(url: string, detector: string) {
  const run = (duration: number) =>
    autocannon({
      url: `${url}/api/v1/analyze`,
      method: 'POST',
      connections: 100,
      duration,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ line: lines[123], labels: { job: 'web' }, detector }),
    });
  await run(3);
  const result = await run(CANNON_SECONDS);
  return {
    name: `autocannon analyze ${detector} (100 conns, ${CANNON_SECONDS} s)`,
    requests_per_s: Math.round(result.requests.average),
    latency_p50_ms: result.latency.p50,
    latency_p99_ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
    timeouts: result.timeouts,
    loadavg_1m: Number(loadavg()[0].toFixed(1)),
  };
}

async function main() {
  const scratch = mkdtempSync(join(tmpdir(), 'anomalog-api-bench-'));
  mkdirSync(join(scratch, 'models'));
  const modelsDir = await ensureModel(join(scratch, 'models'));
  const { child, url } = await startChild(modelsDir, scratch);
  try {
    const web = (await models(url)).find((m) => m.name === 'web');
    if (!web) throw new Error('the server has no web model');
    const detectors = web.members.length > 1 ? ['iforest', 'ensemble'] : [web.members[0]];
    const rows: Record<string, unknown>[] = [];
    for (const detector of detectors) {
      process.stderr.write(`analyze/batch with ${detector} for ${ANALYZE_SECONDS} s\n`);
      rows.push(await batchThroughput(url, detector));
    }
    process.stderr.write('upload of 100,000 lines\n');
    rows.push(await uploadThroughput(url, 5));
    process.stderr.write(`autocannon: 100 connections for ${CANNON_SECONDS} s\n`);
    rows.push(await cannon(url, web.detector));
    process.stdout.write(`${JSON.stringify({ section: 'REST API (real server, 127.0.0.1)', rows })}\n`);
  } finally {
    child.kill('SIGTERM');
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') await serve(process.argv[3], process.argv[4]);
else await main();
