import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from '@anomalog/cli-kit';
import { Rng } from '../random/rng.js';
import { HdfsDatasetWriter, type HdfsSummary } from './dataset.js';
import {
  EVENTS,
  INJECTED_ANOMALIES,
  STORED_CONTENT,
  anomalyEvents,
  varyLevel,
  type BlockContext,
  type ExtraEvent,
  type InjectedAnomaly,
} from './events.js';
import { BLOCK_ID, EXAMPLE_LINE, HdfsClock, formatHdfsLine, parseHdfsLine, type HdfsLine } from './line.js';

/** The shipped HDFS_2k sample (loghub; licence notice in the same folder). */
export const HDFS_SAMPLE = fileURLToPath(new URL('../../data/HDFS_2k.log', import.meta.url));
const LOGHUB_LICENSE = fileURLToPath(new URL('../../data/LICENSE-loghub.txt', import.meta.url));

export interface AugmentOptions {
  input: string;
  out: string;
  variations: number;
  seed?: number;
  /** Share of (originally normal) blocks per variation that get an injected anomaly. */
  anomalyRate?: number;
  /** loghub `anomaly_label.csv` for the input; default `<input without .log>.anomaly_label.csv` when it exists. */
  labels?: string;
  trainFraction?: number;
  onProgress?: (done: number, total: number) => void;
}

const HAS_BLOCK_ID = /blk_-?\d+/;
const IP = /\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g;
const SIZE = /\bsize (\d+)/g;
const FULL_BLOCK = 67108864;
const HOUR = 3_600_000;

interface Block {
  lines: number[];
  first: number;
  last: number;
  anomalous: boolean;
}

/**
 * Grows an HDFS sample into `variations` copies with new block ids, IPs, sizes and shifted timestamps. Within a
 * copy, a block keeps one new id everywhere, so sessions stay whole; anomalous originals stay anomalous, and a
 * share of the normal blocks get an injected session-level anomaly. Loghub's licence notice goes with the output.
 */
export function augmentHdfs(opts: AugmentOptions): HdfsSummary {
  const lines = readHdfs(opts.input);
  const anomalousIds = readAnomalousIds(
    opts.labels ?? opts.input.replace(/\.log$/, '') + '.anomaly_label.csv',
    opts.labels !== undefined,
  );
  const blocks = indexBlocks(lines, anomalousIds);
  const rng = new Rng(opts.seed ?? 1);
  const anomalyRate = opts.anomalyRate ?? 0.03;
  const span = lines[lines.length - 1].ts - lines[0].ts;
  const writer = new HdfsDatasetWriter(opts.out, opts.trainFraction);
  const clock = new HdfsClock();
  const usedIds = new Set<string>();

  for (let v = 0; v < opts.variations; v++) {
    const offset = v * (Math.ceil(span / HOUR) + 1) * HOUR;
    const ids = new Map<string, string>();
    const ips = new Map<string, string>();
    const sizes = new Map<string, string>();
    const newId = (orig: string) => ids.get(orig) ?? ids.set(orig, freshBlockId(rng, usedIds)).get(orig)!;
    const newIp = (orig: string) =>
      ips.get(orig) ?? ips.set(orig, `10.${rng.int(250, 251)}.${rng.int(0, 255)}.${rng.int(1, 254)}`).get(orig)!;
    const newSize = (orig: string) =>
      sizes.get(orig) ??
      sizes
        .set(orig, Number(orig) === FULL_BLOCK && rng.chance(0.9) ? orig : String(rng.int(100_000, FULL_BLOCK)))
        .get(orig)!;

    const injected = new Map<string, InjectedAnomaly>();
    for (const [id, b] of blocks)
      if (!b.anomalous && rng.chance(anomalyRate)) injected.set(id, rng.pick(INJECTED_ANOMALIES));

    const out: { ts: number; seq: number; line: HdfsLine }[] = [];
    lines.forEach((l, i) => {
      const own = l.content.match(BLOCK_ID) ?? [];
      if (own.some((id) => injected.get(id) === 'missing_replication') && STORED_CONTENT.test(l.content)) return;
      const content = l.content
        .replace(BLOCK_ID, newId)
        .replace(IP, newIp)
        .replace(SIZE, (_, n: string) => `size ${newSize(n)}`);
      out.push({
        ts: l.ts + offset,
        seq: i,
        line: { ...l, ts: l.ts + offset, level: varyLevel(l.level, l.content, rng), content },
      });
    });
    for (const [id, kind] of injected) {
      const b = blocks.get(id)!;
      const ctx = contextFor(lines, b, newId(id), newIp, rng);
      const extra = anomalyEvents(kind, rng);
      const add = (e: ExtraEvent, anchor: number) => {
        const r = EVENTS[e.event](ctx, rng, e.replica);
        const ts = anchor + offset + e.at * 1000;
        out.push({
          ts,
          seq: lines.length + out.length,
          line: {
            ts,
            pid: rng.int(10, 40),
            level: varyLevel(r.level, r.content, rng),
            component: r.component,
            content: r.content,
          },
        });
      };
      extra.before.forEach((e) => add(e, b.first));
      extra.after.forEach((e) => add(e, b.last));
    }
    out.sort((a, b) => a.ts - b.ts || a.seq - b.seq);

    const labelOf = new Map<string, string | undefined>();
    for (const [id, b] of blocks) labelOf.set(ids.get(id) ?? newId(id), b.anomalous ? 'original' : injected.get(id));
    const seen = new Set<string>();
    for (const { line } of out) {
      for (const id of line.content.match(BLOCK_ID) ?? []) {
        if (seen.has(id)) continue;
        seen.add(id);
        writer.block(id, labelOf.get(id));
      }
      writer.line(formatHdfsLine(line, clock));
    }
    opts.onProgress?.(v + 1, opts.variations);
  }
  // The output is a copy of loghub data, and loghub's notice must travel with every copy.
  const license = join(opts.out, 'LICENSE-loghub.txt');
  copyFileSync(LOGHUB_LICENSE, license);
  const summary = writer.finish();
  return { ...summary, files: [...summary.files, license] };
}

function readHdfs(path: string): HdfsLine[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
  const raw = text.split(/\r?\n/);
  if (raw[raw.length - 1] === '') raw.pop();
  if (raw.length === 0) throw new CliError(`${path} is empty`, 2);
  return raw.map((line, i) => {
    const parsed = parseHdfsLine(line);
    if (!parsed || !HAS_BLOCK_ID.test(parsed.content)) {
      throw new CliError(`${path} is not an HDFS log: line ${i + 1} does not look like "${EXAMPLE_LINE}"`, 2);
    }
    return parsed;
  });
}

function readAnomalousIds(path: string, required: boolean): Set<string> {
  if (!existsSync(path)) {
    if (required) throw new CliError(`cannot read labels ${path}`, 2);
    return new Set();
  }
  const rows = readFileSync(path, 'utf8').split(/\r?\n/);
  if (!/^BlockId,Label$/i.test(rows[0]?.trim() ?? ''))
    throw new CliError(`${path} is not a loghub anomaly_label.csv (expected the header BlockId,Label)`, 2);
  return new Set(rows.filter((r) => /,Anomaly\s*$/.test(r)).map((r) => r.split(',')[0]));
}

function indexBlocks(lines: HdfsLine[], anomalous: Set<string>): Map<string, Block> {
  const blocks = new Map<string, Block>();
  lines.forEach((l, i) => {
    for (const id of new Set(l.content.match(BLOCK_ID))) {
      const b = blocks.get(id);
      if (b) {
        b.lines.push(i);
        b.last = l.ts;
      } else blocks.set(id, { lines: [i], first: l.ts, last: l.ts, anomalous: anomalous.has(id) });
    }
  });
  return blocks;
}

/** What injected lines need to know about a block: its new id and the (mapped) nodes seen in its lines. */
function contextFor(lines: HdfsLine[], b: Block, blk: string, newIp: (ip: string) => string, rng: Rng): BlockContext {
  const nodes = [...new Set(b.lines.flatMap((i) => lines[i].content.match(IP) ?? []))].map(newIp);
  while (nodes.length < 3) nodes.push(`10.${rng.int(250, 251)}.${rng.int(0, 255)}.${rng.int(1, 254)}`);
  return { blk, nodes, client: nodes[0], size: FULL_BLOCK, file: '/user/root/rand/part-00000' };
}

/** A signed 64-bit-looking block id, unique within the run. */
export function freshBlockId(rng: Rng, used: Set<string>): string {
  for (;;) {
    let digits = String(rng.int(1, 9));
    const n = rng.int(15, 18);
    while (digits.length < n) digits += String(Math.floor(rng.next() * 1e6)).padStart(6, '0');
    const id = `blk_${rng.chance(0.5) ? '-' : ''}${digits.slice(0, n)}`;
    if (!used.has(id)) {
      used.add(id);
      return id;
    }
  }
}
