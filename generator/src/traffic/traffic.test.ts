import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attackHits, createParser, uaClass } from '@anomalog/backend';
import { ClfClock, formatAccessLine, type AccessRecord } from '../format/access-line.js';
import { TrafficModel } from './model.js';
import { writeTraffic } from './offline.js';
import { OFF_BY_DEFAULT, SCENARIOS, type Label } from './scenarios.js';

const dir = mkdtempSync(join(tmpdir(), 'anomalog-traffic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const STANDARD_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];

/** 30k records at a high incident rate, windows favoured: every scenario shows up several times. */
const model = new TrafficModel({
  seed: 7,
  anomalyRate: 0.4,
  weights: { outage_5xx: 8, latency_spike: 8, db_error_storm: 8 },
});
const clock = new ClfClock();
const sample = Array.from({ length: 30_000 }, () => {
  const { record, label } = model.next();
  return { record, label, line: formatAccessLine(record, 'nginx', clock) };
});
const byLabel = (label: Label) => sample.filter((s) => s.label === label);

describe('offline traffic', () => {
  it('writes the same bytes for the same seed, and other bytes for another seed', () => {
    const run = (sub: string, seed: number) => {
      mkdirSync(join(dir, sub));
      writeTraffic({ out: join(dir, sub, 'x.log'), lines: 5_000, anomalyRate: 0.05, seed });
      return [sha(join(dir, sub, 'x.log')), sha(join(dir, sub, 'x.log.labels.jsonl'))];
    };
    const [a, b, c] = [run('a', 42), run('b', 42), run('c', 43)];
    expect(a).toEqual(b);
    expect(c[0]).not.toBe(a[0]);
  });

  it('writes one label record per line, numbered from 1, naming the file', () => {
    const summary = writeTraffic({ out: join(dir, 'l.log'), lines: 5_000, anomalyRate: 0.1, seed: 3 });
    const lines = readFileSync(join(dir, 'l.log'), 'utf8').split('\n');
    const labels = readFileSync(join(dir, 'l.log.labels.jsonl'), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(labels.pop()).toBe('');
    expect(lines).toHaveLength(5_000);
    expect(labels).toHaveLength(5_000);
    const records = labels.map((l) => JSON.parse(l) as { line: number; file: string; label: string });
    const known: string[] = ['normal', ...SCENARIOS];
    expect(records.filter((r, i) => r.line !== i + 1 || r.file !== 'l.log' || !known.includes(r.label))).toEqual([]);
    const counted = records.reduce<Record<string, number>>(
      (acc, r) => ((acc[r.label] = (acc[r.label] ?? 0) + 1), acc),
      {},
    );
    expect(counted).toEqual(summary.byLabel);
  });

  it('lands near the requested anomaly rate', () => {
    const summary = writeTraffic({ out: join(dir, 'r.log'), lines: 60_000, anomalyRate: 0.05, seed: 11 });
    expect(summary.anomalies / summary.lines).toBeGreaterThan(0.025);
    expect(summary.anomalies / summary.lines).toBeLessThan(0.1);
  });

  it('writes plain Apache combined lines, without latency spikes, in the combined format', () => {
    writeTraffic({ out: join(dir, 'c2.log'), lines: 2_000, anomalyRate: 0.3, seed: 5, format: 'combined' });
    const lines = readFileSync(join(dir, 'c2.log'), 'utf8').trimEnd().split('\n');
    const parser = createParser('auto', { sample: lines.slice(0, 100) });
    expect(parser.format).toBe('apache');
    for (const line of lines) expect(parser.parse(line).fields.rt).toBeUndefined();
    expect(readFileSync(join(dir, 'c2.log.labels.jsonl'), 'utf8')).not.toContain('latency_spike');
  });
});

describe('every scenario', () => {
  it('shows up in a high-rate sample (those off by default only when named)', () => {
    for (const s of SCENARIOS) expect(byLabel(s).length, s)[OFF_BY_DEFAULT.includes(s) ? 'toBe' : 'toBeGreaterThan'](0);
  });

  it("produces lines the engine's parser reads field for field", () => {
    const parser = createParser('auto', { sample: sample.slice(0, 100).map((s) => s.line) });
    expect(parser.format).toBe('nginx');
    const misread = sample.filter(({ record, line }) => {
      const p = parser.parse(line);
      const f = p.fields;
      return !(
        p.format === 'nginx' &&
        f.ip === record.ip &&
        f.method === record.method &&
        f.path === record.path &&
        f.query === record.query &&
        f.status === String(record.status) &&
        f.bytes === String(record.bytes) &&
        f.ua === record.ua &&
        Math.abs(Number(f.rt) - record.rt) < 0.001 &&
        p.ts === Math.floor(record.ts / 1000) * 1000
      );
    });
    expect(misread.map((s) => `${s.label}: ${s.line}`)).toEqual([]);
  });

  it('carries the attack in the request for the four payload scenarios', () => {
    const category = {
      sql_injection: 'sqli',
      xss: 'xss',
      path_traversal: 'traversal',
      command_injection: 'cmdi',
    } as const;
    const target = (r: AccessRecord) => (r.query ? `${r.path}?${r.query}` : r.path);
    for (const [scenario, cat] of Object.entries(category)) {
      const missed = byLabel(scenario as Label).filter(
        (s) => !attackHits(target(s.record)).some((h) => h.category === cat),
      );
      expect(
        missed.map((s) => target(s.record)),
        scenario,
      ).toEqual([]);
    }
    expect(byLabel('normal').filter((s) => attackHits(target(s.record)).length > 0)).toEqual([]);
  });

  it('gives each behavioural scenario its trace', () => {
    expect(byLabel('scanner').filter((s) => uaClass(s.record.ua) === 'browser')).toEqual([]);
    expect(
      byLabel('scanner').filter((s) => s.record.status === 404).length / byLabel('scanner').length,
    ).toBeGreaterThan(0.8);
    for (const { record } of [...byLabel('brute_force'), ...byLabel('credential_stuffing')]) {
      expect(`${record.method} ${record.path}`).toBe('POST /login');
    }
    expect(
      byLabel('brute_force').filter((s) => s.record.status === 401).length / byLabel('brute_force').length,
    ).toBeGreaterThan(0.9);
    expect(byLabel('credential_stuffing').filter((s) => uaClass(s.record.ua) !== 'tool')).toEqual([]);
    const stuffingIps = new Set(byLabel('credential_stuffing').map((s) => s.record.ip));
    expect(stuffingIps.size).toBeGreaterThan(20);
    for (const { record } of byLabel('exfiltration')) expect(record.bytes).toBeGreaterThanOrEqual(30e6);
    const normalMax = Math.max(...byLabel('normal').map((s) => s.record.bytes));
    expect(normalMax).toBeLessThan(30e6);
    for (const { record } of byLabel('unusual_method')) expect(STANDARD_METHODS).not.toContain(record.method);
    expect(byLabel('normal').filter((s) => !STANDARD_METHODS.includes(s.record.method))).toEqual([]);
  });

  it('makes a browser-disguised scanner: one client, a browser agent, a burst to CMS routes no normal client requests', () => {
    const m = new TrafficModel({
      seed: 3,
      anomalyRate: 0.05,
      weights: Object.fromEntries(SCENARIOS.map((s) => [s, s === 'disguised_scanner' ? 1 : 0])),
    });
    const lines = Array.from({ length: 20_000 }, () => m.next());
    const scan = lines.filter((s) => s.label === 'disguised_scanner');
    const normalRoutes = new Set(lines.filter((s) => s.label === 'normal').map((s) => s.record.path));
    expect(scan.length / lines.length).toBeGreaterThan(0.03);
    expect(new Set(scan.map((s) => s.record.ip)).size).toBeLessThanOrEqual(2);
    expect(scan.filter((s) => uaClass(s.record.ua) !== 'browser')).toEqual([]);
    expect(scan.filter((s) => normalRoutes.has(s.record.path))).toEqual([]);
    expect(scan.filter((s) => s.record.method === 'POST').length / scan.length).toBeGreaterThan(0.5);
    expect(scan.filter((s) => s.record.status === 303 || s.record.status === 500).length / scan.length).toBeGreaterThan(
      0.6,
    );
    expect(
      scan.filter((s) => s.record.query !== '' && attackHits(s.record.path, s.record.query).length > 0).length,
    ).toBeGreaterThan(20);
  });

  it('labels every line inside a time window, and the window shows in the lines', () => {
    for (const scenario of ['outage_5xx', 'latency_spike', 'db_error_storm'] as const) {
      const idx = sample.flatMap((s, i) => (s.label === scenario ? [i] : []));
      const [first, last] = [idx[0], idx[idx.length - 1]];
      // Between a window's first and last line nothing is left "normal" (windows do not overlap in time).
      const runs = idx.reduce<number[][]>((acc, i) => {
        const run = acc[acc.length - 1];
        if (run && sample.slice(run[run.length - 1] + 1, i).every((s) => s.label !== 'normal')) run.push(i);
        else acc.push([i]);
        return acc;
      }, []);
      for (const run of runs) {
        const windowEnd = sample[run[run.length - 1]].record.ts;
        const windowStart = sample[run[0]].record.ts;
        const inside = sample.filter((s) => s.record.ts > windowStart && s.record.ts < windowEnd);
        expect(
          inside.filter((s) => s.label === 'normal'),
          scenario,
        ).toEqual([]);
      }
      expect(last).toBeGreaterThan(first);
    }
    const share = (label: Label, ok: (s: (typeof sample)[number]) => boolean) =>
      byLabel(label).filter(ok).length / byLabel(label).length;
    expect(share('outage_5xx', (s) => s.record.status >= 502)).toBeGreaterThan(0.9);
    expect(share('latency_spike', (s) => s.record.rt >= 1.5)).toBeGreaterThan(0.9);
    expect(share('db_error_storm', (s) => s.record.status === 500)).toBeGreaterThan(0.3);
  });
});
