import { describe, expect, it } from 'vitest';
import { createParser } from '../parsing/index.js';
import { TemplateIndex } from '../templates/index.js';
import { buildSchema, LineFeaturizer, NumericColumns, SYS } from './index.js';

function systemFeatures(format: 'hdfs' | 'csv', train: string[]) {
  const parser = createParser(format, { sample: train });
  const templates = TemplateIndex.create('drain');
  const numeric = new Set<string>();
  for (const raw of train) {
    const p = parser.parse(raw);
    if (p.header) continue;
    templates.learn(p);
    for (const k in p.numeric ?? {}) numeric.add(k);
  }
  templates.seal();
  const schema = buildSchema(format, [...numeric]);
  const featurizer = new LineFeaturizer(schema, templates, undefined);
  return {
    schema,
    row: (raw: string) => Array.from(featurizer.fill(parser.parse(raw), templates.lookup(parser.parse(raw)))),
  };
}

const HDFS = [
  '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating',
  '081109 203807 222 INFO dfs.DataNode$PacketResponder: PacketResponder 0 for block blk_-6952295868487656571 terminating',
  '081109 204005 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.73.220:50010 is added to blk_7128370237687728475 size 67108864',
];

describe('system line features', () => {
  const train = Array.from({ length: 30 }, (_, i) => HDFS[i % 2 === 0 ? 0 : i % 3 === 0 ? 2 : 1]);
  const { row } = systemFeatures('hdfs', train);

  it('reads level, keywords and novelty', () => {
    const known = row(HDFS[0]);
    expect(known[SYS.level]).toBe(1);
    expect(known[SYS.template_novel]).toBe(0);
    const bad = row(
      '081109 204106 329 FATAL dfs.DataNode: java.io.IOException: Connection refused while serving blk_1',
    );
    expect(bad[SYS.level]).toBe(4);
    expect(bad[SYS.template_novel]).toBe(1);
    expect(bad[SYS.kw_exception]).toBe(1);
    expect(bad[SYS.kw_refused]).toBe(1);
    expect(bad[SYS.kw_timeout]).toBe(0);
    expect(bad[SYS.template_rarity]).toBeGreaterThan(known[SYS.template_rarity]);
  });

  it('describes the parameter shape of the template', () => {
    const r = row(HDFS[2]);
    expect(r[SYS.param_count]).toBeGreaterThanOrEqual(2);
    expect(r[SYS.param_numeric]).toBeGreaterThanOrEqual(1);
  });

  it('bins the message length in half octaves, so a block id a digit shorter is no row of its own (loghub HDFS)', () => {
    const a = row('081110 011237 13 INFO dfs.DataBlockScanner: Verification succeeded for blk_6996194389878584395');
    const b = row('081110 112155 13 INFO dfs.DataBlockScanner: Verification succeeded for blk_774612454978154966');
    expect(a[SYS.message_length_bin]).toBe(b[SYS.message_length_bin]);
    expect(a[SYS.message_length_bin] * 2).toBe(Math.round(a[SYS.message_length_bin] * 2));
    expect(row(HDFS[2])[SYS.message_length_bin]).toBeGreaterThan(a[SYS.message_length_bin]);
  });

  it('reads the length exactly for a model trained before the bins (its schema names `message_length`)', () => {
    const templates = TemplateIndex.create('drain');
    const parser = createParser('hdfs');
    for (const raw of train) templates.learn(parser.parse(raw));
    templates.seal();
    const schema = buildSchema('hdfs', []);
    const old = { ...schema, names: schema.names.map((n) => (n === 'message_length_bin' ? 'message_length' : n)) };
    const p = parser.parse(HDFS[0]);
    const v = new LineFeaturizer(old, templates, undefined).fill(p, templates.lookup(p))[SYS.message_length_bin];
    expect(v).toBe(Math.log2(1 + p.message.length));
  });
});

describe('parameter shapes', () => {
  it('never reads a word as hex (`Added global filter`): hex needs a digit and a letter, or 0x', () => {
    const lines = [
      '081109 203615 148 INFO dfs.X: filter state: Added',
      '081109 203615 148 INFO dfs.X: filter state: Faded',
    ];
    const { row } = systemFeatures('hdfs', lines);
    expect(row(lines[0])[SYS.param_count]).toBe(1);
    expect(row(lines[0])[SYS.param_hex]).toBe(0);
    const ids = [
      '081109 203615 148 INFO dfs.X: lease 1a2b3c4d expired 0x1F',
      '081109 203615 148 INFO dfs.X: lease face expired 12',
    ];
    const hex = systemFeatures('hdfs', ids);
    expect(hex.row(ids[0])[SYS.param_hex]).toBe(2);
  });
});

describe('numeric columns', () => {
  it('become features by name after the fixed ones', () => {
    const train = [
      'time,host,latency_ms,cpu',
      ...Array.from({ length: 20 }, (_, i) => `2024-03-01T00:00:${String(i).padStart(2, '0')}Z,web-1,${100 + i},0.5`),
    ];
    const { schema, row } = systemFeatures('csv', train);
    expect(schema.numericColumns).toEqual(['latency_ms', 'cpu']);
    const r = row('2024-03-01T00:01:00Z,web-1,9000,0.9');
    expect(r[schema.names.indexOf('latency_ms')]).toBe(9000);
    expect(r[schema.names.indexOf('cpu')]).toBe(0.9);
  });

  it('leave out source ports, process and session numbers and Unix times, which measure nothing; identifiers stay', () => {
    const columns = new NumericColumns();
    const values = (i: number) => ({
      bytes: 100 + i,
      TransactionID: 4_000_000 + i * 7919,
      connectionId: i,
      'Event ID': 4624,
      pid: 300 + i,
      spid: 2_000 + i,
      ses: 6 + i,
      srcport: 49_152 + i,
      'id.orig_p': 50_000 + i,
      end: 1_709_251_200 + i,
      EventTimeMs: 1_709_251_200_000 + i,
      dstport: 443,
      valid: 1,
      latency: 0.25,
    });
    for (let i = 0; i < 100; i++)
      columns.observe({ fields: {}, message: '', raw: '', format: 'json', numeric: values(i) });
    expect(columns.list()).toEqual([
      'bytes',
      'TransactionID',
      'connectionId',
      'Event ID',
      'dstport',
      'valid',
      'latency',
    ]);
    // A column that holds a time only at first is a measure.
    columns.observe({ fields: {}, message: '', raw: '', format: 'json', numeric: { size: 1_709_251_200 } });
    columns.observe({ fields: {}, message: '', raw: '', format: 'json', numeric: { size: 12 } });
    expect(columns.list()).toContain('size');
  });
});
