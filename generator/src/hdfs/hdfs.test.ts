import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createParser } from '@anomalog/backend';
import { CliError } from '@anomalog/cli-kit';
import { augmentHdfs } from './augment.js';
import { simulateHdfs } from './simulate.js';

const DATA = fileURLToPath(new URL('../../data/', import.meta.url));
const SAMPLE = join(DATA, 'HDFS_2k.log');
const root = mkdtempSync(join(tmpdir(), 'anomalog-hdfs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const readLines = (path: string) => readFileSync(path, 'utf8').split(/\r?\n/).filter(Boolean);
const blockIds = (line: string) => [...new Set(line.match(/blk_-?\d+/g) ?? [])];
/** A line with its variable parts (ids, addresses, numbers, level) blanked out. */
const shape = (line: string) =>
  line.replace(/blk_-?\d+|\d+\.\d+\.\d+\.\d+|\d+/g, '#').replace(/ (INFO|WARN|ERROR) /, ' LEVEL ');
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The 30 loghub templates as regexes: every generated line must be one of them. */
const TEMPLATES = readLines(join(DATA, 'HDFS_templates.csv'))
  .slice(1)
  .map((row) => row.slice(row.indexOf(',') + 1))
  .map(
    (t) =>
      new RegExp(
        '^' +
          t
            .split('<*>')
            .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*') +
          '$',
      ),
  );

function readDataset(dir: string) {
  const lines = readLines(join(dir, 'HDFS.log'));
  const labels = new Map(
    readLines(join(dir, 'anomaly_label.csv'))
      .slice(1)
      .map((r) => r.split(',') as [string, string]),
  );
  const train = readLines(join(dir, 'train_blocks.txt'));
  const test = readLines(join(dir, 'test_blocks.txt'));
  return { lines, labels, train, test };
}

function expectConsistentDataset(dir: string) {
  const { lines, labels, train, test } = readDataset(dir);
  expect(readFileSync(join(dir, 'anomaly_label.csv'), 'utf8').split('\n')[0]).toBe('BlockId,Label');
  const seen = new Set(lines.flatMap(blockIds));
  expect([...labels.keys()].sort()).toEqual([...seen].sort());
  expect(new Set(labels.values())).toEqual(new Set(['Normal', 'Anomaly']));
  expect([...train, ...test].sort()).toEqual([...seen].sort());
  expect(train.filter((id) => labels.get(id) !== 'Normal')).toEqual([]);
  const parser = createParser('auto', { sample: lines.slice(0, 100) });
  expect(parser.format).toBe('hdfs');
  const content = (line: string) => line.slice(line.indexOf(': ') + 2);
  expect(lines.filter((l) => !TEMPLATES.some((t) => t.test(content(l))))).toEqual([]);
  return { lines, labels };
}

describe('hdfs-augment', () => {
  it('keeps sessions whole: within a variation each new block id stands for exactly one original block', () => {
    const out = join(root, 'plain');
    const original = readLines(SAMPLE);
    const summary = augmentHdfs({ input: SAMPLE, out, variations: 3, seed: 4, anomalyRate: 0 });
    const { lines } = readDataset(out);
    expect(lines).toHaveLength(3 * original.length);
    const allNew = new Set<string>();
    for (let v = 0; v < 3; v++) {
      const forward = new Map<string, string>();
      const backward = new Map<string, string>();
      original.forEach((orig, i) => {
        const [a, b] = [blockIds(orig), blockIds(lines[v * original.length + i])];
        expect(b).toHaveLength(a.length);
        a.forEach((id, k) => {
          expect(forward.get(id) ?? b[k]).toBe(b[k]);
          expect(backward.get(b[k]) ?? id).toBe(id);
          forward.set(id, b[k]);
          backward.set(b[k], id);
        });
        expect(shape(lines[v * original.length + i])).toBe(shape(orig));
      });
      for (const id of backward.keys()) {
        expect(allNew.has(id)).toBe(false);
        allNew.add(id);
      }
    }
    expect(summary.blocks).toBe(allNew.size);
    expect(summary.byKind).toEqual({ original: 3 * 69 });
    expect(readFileSync(join(out, 'LICENSE-loghub.txt'), 'utf8')).toBe(
      readFileSync(join(DATA, 'LICENSE-loghub.txt'), 'utf8'),
    );
  });

  it('labels every block, injects anomalies at the block level and splits train/test', () => {
    const out = join(root, 'labelled');
    const summary = augmentHdfs({ input: SAMPLE, out, variations: 4, seed: 9, anomalyRate: 0.1 });
    const { lines, labels } = expectConsistentDataset(out);
    expect(summary.anomalies).toBe([...labels.values()].filter((l) => l === 'Anomaly').length);
    for (const kind of ['missing_replication', 'exception', 'out_of_order', 'extra_deletes'])
      expect(summary.byKind[kind], kind).toBeGreaterThan(20);
    const injectedMarkers =
      /PendingReplicationMonitor timed out|BlockInfo not found in volumeMap|writeBlock .* received exception|Exception in receiveBlock|Exception writing block/;
    const marked = new Set(lines.filter((l) => injectedMarkers.test(l)).flatMap(blockIds));
    expect([...marked].filter((id) => labels.get(id) !== 'Anomaly')).toEqual([]);
    const times = lines.map((l) => l.slice(0, 13));
    expect(times).toEqual([...times].sort());
  });

  it('is deterministic under a seed', () => {
    augmentHdfs({ input: SAMPLE, out: join(root, 'd1'), variations: 2, seed: 3 });
    augmentHdfs({ input: SAMPLE, out: join(root, 'd2'), variations: 2, seed: 3 });
    for (const f of ['HDFS.log', 'anomaly_label.csv', 'train_blocks.txt', 'test_blocks.txt'])
      expect(sha(join(root, 'd1', f))).toBe(sha(join(root, 'd2', f)));
  });

  it('refuses input that is not HDFS with one clear line', () => {
    const bad = join(root, 'access.log');
    writeFileSync(bad, '1.2.3.4 - - [01/Mar/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "x"\n');
    expect(() => augmentHdfs({ input: bad, out: join(root, 'bad'), variations: 1 })).toThrow(CliError);
    expect(() => augmentHdfs({ input: bad, out: join(root, 'bad'), variations: 1 })).toThrow(
      /is not an HDFS log: line 1 does not look like/,
    );
  });
});

describe('hdfs-simulate', () => {
  it('writes whole, time-ordered block lifecycles over the 30 templates, labelled', () => {
    const out = join(root, 'sim');
    const summary = simulateHdfs({ out, blocks: 600, seed: 2, anomalyRate: 0.3 });
    const { lines, labels } = expectConsistentDataset(out);
    expect(summary.blocks).toBe(600);
    const content = (line: string) => line.slice(line.indexOf(': ') + 2);
    const unused = TEMPLATES.filter((t) => !lines.some((l) => t.test(content(l))));
    expect(unused).toEqual([]);
    expect(summary.lines).toBe(lines.length);
    const times = lines.map((l) => l.slice(0, 13));
    expect(times).toEqual([...times].sort());
    const byBlock = new Map<string, string[]>();
    for (const l of lines) for (const id of blockIds(l)) byBlock.set(id, [...(byBlock.get(id) ?? []), l]);
    let normal = 0;
    for (const [id, blockLines] of byBlock) {
      const count = (re: RegExp) => blockLines.filter((l) => re.test(l)).length;
      const receiving = count(/Receiving block/);
      const stored = count(/addStoredBlock: blockMap updated/);
      if (labels.get(id) === 'Normal') {
        normal++;
        expect(count(/allocateBlock/)).toBe(1);
        expect(stored).toBe(receiving);
        expect(blockLines[0]).toMatch(/allocateBlock|Receiving block/);
      }
    }
    expect(normal).toBeGreaterThan(350);
    expect(summary.anomalies).toBeGreaterThan(120);
  });

  it('is deterministic under a seed', () => {
    simulateHdfs({ out: join(root, 's1'), blocks: 200, seed: 8 });
    simulateHdfs({ out: join(root, 's2'), blocks: 200, seed: 8 });
    expect(sha(join(root, 's1', 'HDFS.log'))).toBe(sha(join(root, 's2', 'HDFS.log')));
    expect(sha(join(root, 's1', 'anomaly_label.csv'))).toBe(sha(join(root, 's2', 'anomaly_label.csv')));
  });
});
