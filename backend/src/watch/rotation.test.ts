/**
 * The watcher against real files: rotation in each mode logrotate has, and backlogs far past what one read holds.
 * Every line written must be scored exactly once (counted by content) and every anomaly delivered once.
 */
import { appendFileSync, copyFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Model } from '../models/index.js';
import { trafficLines, trainWebModel, watchedWebContext, type WatchedWebContext } from '../../testkit/app.js';
import { Watcher, type WatcherOptions } from './index.js';

const T0 = Date.UTC(2026, 0, 1);
let seed = 100;
const traffic = (lines: number, anomalyRate = 0.05) =>
  trafficLines({ lines, seed: seed++, anomalyRate, start: T0 + seed * 60_000 });
const text = (lines: string[]) => `${lines.join('\n')}\n`;

let model: Model;
let tc: WatchedWebContext;
/** Every line any scorer of the context was given, in order. */
let scored: string[];
const opts: WatcherOptions = { from: 'start', backoff: { initialMs: 10, maxMs: 40 }, rotateWaitMs: 5_000 };

beforeAll(async () => {
  model = await trainWebModel();
});
beforeEach(async () => {
  tc = await watchedWebContext(model);
  scored = [];
  const registry = tc.ctx.models;
  const scorerFor = registry.scorerFor.bind(registry);
  registry.scorerFor = (...args) => {
    const inner = scorerFor(...args);
    return {
      ...inner,
      push: (raw, ts) => {
        scored.push(raw);
        return inner.push(raw, ts);
      },
      pushBatch: (raws, ts) => {
        scored.push(...raws);
        return inner.pushBatch(raws, ts);
      },
    };
  };
});
afterEach(() => tc.cleanup());

const log = (name = 'access.log') => join(tc.dir, 'logs', name);

/** Scored exactly the lines written (as multisets), and Loki holds each anomaly once. */
function expectExactlyOnce(written: string[]) {
  const count = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
  const [want, got] = [count(written), count(scored)];
  const lost = [...want].filter(([l, n]) => (got.get(l) ?? 0) < n).length;
  const duplicated = [...got].filter(([l, n]) => n > (want.get(l) ?? 0)).length;
  expect({ lost, duplicated, scored: scored.length }).toEqual({ lost: 0, duplicated: 0, scored: written.length });
  const pushed = tc.loki.pushes.flatMap((p) => p.streams.flatMap((s) => s.values.map((v) => `${v[0]} ${v[1]}`)));
  expect(pushed.length).toBeGreaterThan(0);
  expect(new Set(pushed).size).toBe(pushed.length);
}

async function drain(w: Watcher, cycles = 3) {
  for (let i = 0; i < cycles || w.behind; i++) expect(await w.cycle()).toBe(true);
}

/** A watcher reads the logs to their end and stops; `whileDown` changes them; a new watcher reads them on. */
async function restartAround(whileDown: () => void) {
  const first = await Watcher.open(tc.ctx, opts);
  await drain(first);
  await first.stop();
  whileDown();
  const second = await Watcher.open(tc.ctx, opts);
  await drain(second);
  await second.stop();
}

describe('rotation: 0 lost, 0 duplicated', () => {
  it('rename + create while the writer still writes the old file', async () => {
    const [a, b, c, d, e] = [traffic(300), traffic(100), traffic(200), traffic(150), traffic(100)];
    writeFileSync(log(), text(a));
    const w = await Watcher.open(tc.ctx, opts);
    await drain(w);
    appendFileSync(log(), text(b));
    renameSync(log(), log('access.log.1')); // outside the glob
    writeFileSync(log(), text(c));
    await drain(w, 1);
    appendFileSync(log('access.log.1'), text(d)); // the writer has not reopened yet
    await drain(w, 1);
    appendFileSync(log(), text(e));
    await drain(w);
    await w.stop();
    expectExactlyOnce([...a, ...b, ...c, ...d, ...e]);
  });

  it.each([
    ['copytruncate (lines written just before the copy are read from the copy)', 300, 75, 200],
    ['copytruncate, then refilled past the old offset before the next read', 200, 50, 1_000],
  ])('%s', async (_name, before, justBefore, after) => {
    const [a, b, c] = [traffic(before), traffic(justBefore), traffic(after)];
    writeFileSync(log(), text(a));
    const w = await Watcher.open(tc.ctx, opts);
    await drain(w);
    appendFileSync(log(), text(b));
    copyFileSync(log(), log('access.log.1'));
    truncateSync(log(), 0);
    appendFileSync(log(), text(c));
    await drain(w);
    await w.stop();
    expectExactlyOnce([...a, ...b, ...c]);
  });

  it('a rotated name the glob matches (access.log -> access-1.log) is the same file, not a new one', async () => {
    const [a, b, c] = [traffic(2_000), traffic(100), traffic(300)];
    writeFileSync(log(), text(a));
    const w = await Watcher.open(tc.ctx, opts);
    await drain(w);
    appendFileSync(log(), text(b));
    renameSync(log(), log('access-1.log'));
    writeFileSync(log(), text(c));
    await drain(w);
    await w.stop();
    expectExactlyOnce([...a, ...b, ...c]);
  });

  it('rotation while the service is down: the renamed file is found by fingerprint and read on', async () => {
    const [a, b, c] = [traffic(300), traffic(120), traffic(200)];
    writeFileSync(log(), text(a));
    await restartAround(() => {
      appendFileSync(log(), text(b));
      renameSync(log(), log('access.log.1'));
      writeFileSync(log(), text(c));
    });
    expectExactlyOnce([...a, ...b, ...c]);
  });
});

describe('rotation while the service is down', () => {
  it('a segment written and rotated away before the restart, which no checkpoint knows, is read whole', async () => {
    const [a, b, c, d] = [traffic(300), traffic(120), traffic(250), traffic(200)];
    writeFileSync(log('access.log.9'), text(traffic(10))); // rotated before the first run: not ours
    writeFileSync(log(), text(a));
    await restartAround(() => {
      // The checkpointed file grows and is rotated; the next one is written and rotated too; a third starts.
      appendFileSync(log(), text(b));
      renameSync(log(), log('access.log.1'));
      writeFileSync(log(), text(c));
      renameSync(log(), log('access.log.2'));
      writeFileSync(log(), text(d));
      // Compressed segments and files merely named alike are not read.
      writeFileSync(log('access.log.0.gz'), text(traffic(10)));
      writeFileSync(log('access-debug.txt'), text(traffic(10)));
    });
    expectExactlyOnce([...a, ...b, ...c, ...d]);
  });
});

describe('backlogs', () => {
  it('500,000 lines appended and a new 500,000-line file while down: all scored and delivered exactly once', async () => {
    const first = await Watcher.open(tc.ctx, { ...opts, from: 'end' });
    writeFileSync(log(), text(traffic(1_000)));
    await drain(first); // from the end: these are before our time
    await first.stop();
    scored = [];
    let written = 0;
    const feed = (name: string) => {
      for (let i = 0; i < 10; i++) {
        const lines = traffic(50_000, 0.002);
        appendFileSync(log(name), text(lines));
        written += lines.length;
      }
    };
    feed('access.log');
    feed('access-new.log');
    const second = await Watcher.open(tc.ctx, opts);
    const started = performance.now();
    let cycles = 0;
    do {
      expect(await second.cycle()).toBe(true);
      cycles++;
    } while (second.behind);
    await second.stop();
    console.info(
      `figures backlog: ${written} lines in ${cycles} cycles, ${((performance.now() - started) / 1000).toFixed(1)} s, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(written).toBe(1_000_000);
    expect(scored.length).toBe(written);
    expect(new Set(scored.slice(0, 1000)).size).toBeGreaterThan(0);
    expect(cycles).toBeGreaterThan(100); // bounded batches, one checkpoint each
    const pushed = tc.loki.pushes.flatMap((p) => p.streams.flatMap((s) => s.values.map((v) => `${v[0]} ${v[1]}`)));
    expect(pushed.length).toBeGreaterThan(100);
    expect(new Set(pushed).size).toBe(pushed.length);
  }, 600_000);
});

describe('rotation, repeated', () => {
  it('copytruncate twice (the second time after the file was empty): 0 lost, 0 duplicated', async () => {
    const [a, b, c, d, e] = [traffic(200), traffic(40), traffic(10), traffic(30), traffic(60)];
    writeFileSync(log(), text(a));
    const w = await Watcher.open(tc.ctx, opts);
    await drain(w);
    appendFileSync(log(), text(b));
    copyFileSync(log(), log('access.log.1'));
    truncateSync(log(), 0);
    await drain(w, 1); // sees the file empty
    appendFileSync(log(), text(c));
    await drain(w, 1);
    appendFileSync(log(), text(d));
    copyFileSync(log(), log('access.log.2'));
    truncateSync(log(), 0);
    appendFileSync(log(), text(e));
    await drain(w);
    await w.stop();
    expectExactlyOnce([...a, ...b, ...c, ...d, ...e]);
  });

  it('copytruncate refilled to the size read so far (no growth to see), then grown: the refill is read from 0, once', async () => {
    const [a, b, d] = [traffic(200), traffic(40), traffic(30)];
    writeFileSync(log(), text(a));
    const w = await Watcher.open(tc.ctx, opts);
    await drain(w);
    appendFileSync(log(), text(b));
    copyFileSync(log(), log('access.log.1'));
    truncateSync(log(), 0);
    // other lines of exactly the bytes already read: the file looks unchanged, so it is not read or checksummed
    const size = Buffer.byteLength(text(a));
    const c: string[] = [];
    let bytes = 0;
    for (const line of traffic(400)) {
      if (bytes + Buffer.byteLength(line) + 1 > size) break;
      c.push(line);
      bytes += Buffer.byteLength(line) + 1;
    }
    c[c.length - 1] += ' '.repeat(size - bytes);
    appendFileSync(log(), text(c));
    await drain(w, 1);
    appendFileSync(log(), text(d));
    await drain(w);
    await w.stop();
    expectExactlyOnce([...a, ...b, ...c, ...d]);
  });

  it('a file ending mid-line does not keep the watcher busy; rotated away so, it is still closed after rotateWaitMs', async () => {
    const [a, b, c] = [traffic(50), traffic(2), traffic(5)];
    writeFileSync(log(), `${text(a)}${b[0].slice(0, 20)}`);
    const w = await Watcher.open(tc.ctx, { ...opts, rotateWaitMs: 50 });
    for (let i = 0; i < 3; i++) expect(await w.cycle()).toBe(true);
    expect(w.behind).toBe(false);
    appendFileSync(log(), `${b[0].slice(20)}\n${b[1].slice(0, 10)}`);
    await drain(w, 1);
    renameSync(log(), log('access.log.1'));
    writeFileSync(log(), text(c));
    await drain(w, 1);
    await new Promise((r) => setTimeout(r, 100));
    await drain(w, 1);
    expect(w.behind).toBe(false);
    const checkpoint = JSON.parse(
      (await import('node:fs')).readFileSync(join(tc.dir, 'state', 'checkpoint.json'), 'utf8'),
    ) as { files: Record<string, unknown> };
    expect(Object.keys(checkpoint.files)).toHaveLength(1);
    await w.stop();
    expect(scored).toEqual([...a, b[0], ...c]);
  });

  it('a rotated-away file is closed once idle for rotateWaitMs', async () => {
    writeFileSync(log(), text(traffic(50)));
    const w = await Watcher.open(tc.ctx, { ...opts, rotateWaitMs: 50 });
    await drain(w);
    renameSync(log(), log('access.log.1'));
    writeFileSync(log(), text(traffic(20)));
    await drain(w, 1);
    await new Promise((r) => setTimeout(r, 100));
    await drain(w, 1);
    const checkpoint = JSON.parse(
      (await import('node:fs')).readFileSync(join(tc.dir, 'state', 'checkpoint.json'), 'utf8'),
    ) as { files: Record<string, unknown> };
    expect(Object.keys(checkpoint.files)).toHaveLength(1);
    await w.stop();
  });
});

describe('many files, more written than a cycle reads', () => {
  it('every file takes its turn: one that keeps growing does not keep the others unread', async () => {
    const [a, b, c] = [traffic(100), traffic(20), traffic(20)];
    writeFileSync(log('access-1.log'), text(a));
    writeFileSync(log('access-2.log'), text(b));
    writeFileSync(log('access-3.log'), text(c));
    const w = await Watcher.open(tc.ctx, { ...opts, batchBytes: 4_096 });
    for (let i = 0; i < 6; i++) {
      appendFileSync(log('access-1.log'), text(traffic(100))); // more than a cycle's 4 KB, every cycle
      expect(await w.cycle()).toBe(true);
    }
    await w.stop();
    expect([...b, ...c].filter((l) => !scored.includes(l))).toEqual([]);
  });
});
