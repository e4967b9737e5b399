import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLoki, type FakeLoki } from '../../testkit/fake-loki.js';
import { testContext, trafficLines, trainWebModel, type TestContext } from '../../testkit/app.js';
import { loadConfig } from '../config/index.js';
import { inShard, parseShard } from '../stream.js';
import { Watcher } from './index.js';

const STREAMS = 200;
const LINES = 15;

let loki: FakeLoki;
const contexts: TestContext[] = [];
afterAll(async () => {
  await loki?.close();
  for (const tc of contexts) await tc.cleanup();
});

describe('shards (scale-out)', () => {
  let dir: string;
  beforeAll(async () => {
    loki = await startFakeLoki();
    dir = mkdtempSync(join(tmpdir(), 'anomalog-shard-'));
    mkdirSync(join(dir, 'logs'));
    for (let s = 0; s < STREAMS; s++) {
      const lines = trafficLines({ lines: LINES, seed: 100 + s, anomalyRate: 0.3, start: Date.UTC(2026, 0, 1) });
      writeFileSync(join(dir, 'logs', `access-${String(s).padStart(3, '0')}.log`), `${lines.join('\n')}\n`);
    }
  });

  it('two replicas over the same 200 streams score every line exactly once between them', async () => {
    const model = await trainWebModel();
    const scored: { total: number; streams: Set<string> }[] = [];
    for (const index of [0, 1]) {
      // Both replicas see the same files; each has its own checkpoint and pushes to the same Loki.
      const tc = await testContext(
        { web: model },
        {
          sources: { file: [{ path: 'logs/access-*.log', labels: { job: 'web' } }] },
          watch: {
            streams: ['{job="web"}'],
            push: { url: loki.url },
            checkpoint: `state/checkpoint-${index}.json`,
            shard: { index, total: 2 },
          },
        },
        { dir },
      );
      contexts.push(tc);
      const watcher = await Watcher.open(tc.ctx, { from: 'start' });
      do expect(await watcher.cycle()).toBe(true);
      while (watcher.behind);
      await watcher.stop();
      const metric = await tc.ctx.metrics.registry.getSingleMetric('anomalog_lines_scored_total')!.get();
      scored.push({
        total: metric.values.reduce((n, v) => n + v.value, 0),
        streams: new Set(metric.values.map((v) => String(v.labels.stream))),
      });
    }
    const [a, b] = scored;
    expect(a.total + b.total).toBe(STREAMS * LINES);
    expect(a.streams.size + b.streams.size).toBe(STREAMS);
    expect([...a.streams].filter((s) => b.streams.has(s))).toEqual([]);
    // hashmod spreads the 200 streams (their labels hold the random temp path) about evenly: under 50 of 200 is
    // 7 sigma from the mean of 100
    expect(a.streams.size).toBeGreaterThanOrEqual(50);
    expect(b.streams.size).toBeGreaterThanOrEqual(50);

    // What reached Loki: every anomaly once, each from the replica that owns its stream, and both replicas pushed.
    const pushed = loki.pushes.flatMap((p) => p.streams.flatMap((s) => s.values));
    expect(new Set(pushed.map(([ts, line, meta]) => `${meta!.source_stream} ${ts} ${line}`)).size).toBe(pushed.length);
    for (const [, , meta] of pushed)
      expect(a.streams.has(meta!.source_stream) !== b.streams.has(meta!.source_stream)).toBe(true);
    const fromA = pushed.filter(([, , meta]) => a.streams.has(meta!.source_stream)).length;
    expect(fromA).toBeGreaterThan(20);
    expect(pushed.length - fromA).toBeGreaterThan(20);
  });
});

describe('shards over Loki streams', () => {
  it('two replicas reading the same Loki score each stream once between them', async () => {
    const model = await trainWebModel();
    const now = Date.now();
    const streams = 40;
    for (let s = 0; s < streams; s++) {
      const lines = trafficLines({ lines: LINES, seed: 500 + s, anomalyRate: 0.3, start: now - 600_000 });
      loki.ingest(
        { job: 'web', instance: `web-${s}` },
        lines.map((line, i) => ({ ts: BigInt(now - 600_000 + i * 1000) * 1_000_000n, line })),
      );
    }
    // One more line, later than all the others, in a stream shard 0 does not own.
    const others = { job: 'web', instance: 'late-0' };
    const lateNs = BigInt(now - 1_000) * 1_000_000n;
    if (inShard(others, { index: 0, total: 2 })) throw new Error('pick a label set of shard 1');
    loki.ingest(others, [{ ts: lateNs, line: trafficLines({ lines: 1, seed: 999, start: now - 1_000 })[0] }]);
    let total = 0;
    const owned: Set<string>[] = [];
    for (const index of [0, 1]) {
      const tc = await testContext(
        { web: model },
        {
          sources: { file: [], loki: { url: loki.url } },
          watch: {
            streams: ['{job="web"}'],
            push: { url: loki.url },
            checkpoint: `loki-${index}.json`,
            shard: `${index}/2`,
          },
        },
      );
      contexts.push(tc);
      const watcher = await Watcher.open(tc.ctx, { from: 'start' });
      do expect(await watcher.cycle()).toBe(true);
      while (watcher.behind);
      if (index === 0) {
        // Its cursor moved up to the line it left to shard 1: the next cycle reads from there, not from its own last.
        const asked = loki.requests.length;
        expect(await watcher.cycle()).toBe(true);
        const reads = loki.requests.slice(asked).filter((r) => r.path.endsWith('/query_range'));
        expect(reads.map((r) => r.params.start)).toEqual([String(lateNs)]); // its own lines end 9 minutes before
      }
      await watcher.stop();
      const metric = await tc.ctx.metrics.registry.getSingleMetric('anomalog_lines_scored_total')!.get();
      total += metric.values.reduce((n, v) => n + v.value, 0);
      owned.push(new Set(metric.values.map((v) => String(v.labels.stream))));
    }
    expect(total).toBe(streams * LINES + 1);
    expect(owned[0].size + owned[1].size).toBe(streams + 1);
    expect([...owned[0]].filter((s) => owned[1].has(s))).toEqual([]);
  });
});

describe('inShard', () => {
  it("is Prometheus' hashmod over the stream key: the low 64 bits of its MD5 modulo the total", () => {
    // Computed apart: python3 -c "import hashlib; h = hashlib.md5(b'{job=\"web\"}').digest();
    // print(int.from_bytes(h[8:], 'big') % 4)" prints 2, as Prometheus' sum64(md5) % modulus.
    const labels = { job: 'web' };
    expect([0, 1, 2, 3].filter((index) => inShard(labels, { index, total: 4 }))).toEqual([2]);
    expect(inShard(labels, undefined)).toBe(true);
    expect(inShard(labels, { index: 0, total: 1 })).toBe(true);
  });

  it('parses index/total and says what is wrong', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, total: 4 });
    expect(parseShard('4/4')).toMatch(/index 4 is not below the total 4/);
    expect(parseShard('1/0')).toMatch(/at least 1/);
    expect(parseShard('two')).toMatch(/not a shard like 0\/4/);
  });

  it('is config watch.shard, an object or "index/total", with clear errors', () => {
    const load = (shard: unknown, env: Record<string, string> = {}) =>
      loadConfig({ path: null, env, overrides: { watch: { shard } as never } }).watch.shard;
    expect(load({ index: 1, total: 3 })).toEqual({ index: 1, total: 3 });
    expect(load('1/3')).toEqual({ index: 1, total: 3 });
    expect(loadConfig({ path: null, env: { ANOMALOG_SHARD: '0/2' } }).watch.shard).toEqual({ index: 0, total: 2 });
    expect(() => load({ index: 3, total: 3 })).toThrow(/watch\.shard: index must be below total/);
    expect(() => load('5')).toThrow(/watch\.shard: "5" is not a shard like 0\/4/);
  });
});
