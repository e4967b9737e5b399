/**
 * Stream labels and nanosecond timestamps, as sources carry them and the Loki API writes them; the minute of a time in
 * milliseconds, which bursts, template rates and per-client counts are kept by.
 */
import { createHash } from 'node:crypto';

export type Labels = Record<string, string>;

export const compareTs = (a: { ts: bigint }, b: { ts: bigint }): number => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);
export const msToNs = (ms: number): bigint => BigInt(Math.round(ms * 1e6));
export const nsToMs = (ns: bigint): number => Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;

export const MINUTE_MS = 60_000;
/** The epoch minute of a time in milliseconds. */
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS);

/** A label set as Loki prints a stream: `{a="1", b="2"}`, keys sorted. */
export function streamKey(labels: Labels): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `{${parts.join(', ')}}`;
}

/** This replica's share of the streams: shard `index` (0-based) of `total`. */
export interface Shard {
  index: number;
  total: number;
}

/**
 * Whether a stream is this replica's to score, as Prometheus' `hashmod` relabelling shards targets: the low 64 bits
 * of the MD5 of the stream's labels (its `streamKey`), modulo `total`, equal `index`. Every replica computes the
 * same answer alone, so N replicas share the streams with no coordination, each stream scored by exactly one.
 */
export function inShard(labels: Labels, shard: Shard | undefined): boolean {
  if (!shard || shard.total <= 1) return true;
  let hash = shardHashes.get(labels);
  if (hash === undefined) {
    hash = createHash('md5').update(streamKey(labels)).digest().readBigUInt64BE(8);
    shardHashes.set(labels, hash);
  }
  return hash % BigInt(shard.total) === BigInt(shard.index);
}

/** The hash of each label set met: the lines of one stream share their labels object, and are asked about per line. */
const shardHashes = new WeakMap<Labels, bigint>();

/** `--shard 2/4` (index 2 of 0..3): the shard, or a message saying what is wrong. */
export function parseShard(text: string): Shard | string {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return `"${text}" is not a shard like 0/4 (index/total, index from 0)`;
  const [index, total] = [Number(m[1]), Number(m[2])];
  if (total < 1) return `shard total must be at least 1, got ${total}`;
  if (index >= total) return `shard index ${index} is not below the total ${total} (indexes run 0..${total - 1})`;
  return { index, total };
}
