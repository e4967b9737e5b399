import { Rng } from '../random/rng.js';
import { HdfsDatasetWriter, type HdfsSummary } from './dataset.js';
import {
  EVENTS,
  INJECTED_ANOMALIES,
  anomalyEvents,
  varyLevel,
  type BlockContext,
  type InjectedAnomaly,
} from './events.js';
import { HdfsClock, formatHdfsLine } from './line.js';
import { freshBlockId } from './augment.js';

export interface SimulateOptions {
  out: string;
  blocks: number;
  seed?: number;
  /** Share of blocks with an injected anomaly. */
  anomalyRate?: number;
  trainFraction?: number;
  /** First timestamp, ms since the epoch (default 2008-11-09 20:30 UTC, like HDFS_v1). */
  start?: number;
  /** New blocks per second. */
  blocksPerSecond?: number;
  onProgress?: (done: number, total: number) => void;
}

interface Step {
  event: string;
  replica: number;
  /** Seconds after the block's allocation. */
  at: number;
}

interface Pending {
  ts: number;
  seq: number;
  block: BlockState;
  step: Step;
}

interface BlockState {
  ctx: BlockContext;
  kind: InjectedAnomaly | undefined;
  registered: boolean;
}

const FULL_BLOCK = 67108864;
const NAMENODE_EVENTS = new Set(['E22', 'E23', 'E24', 'E25', 'E26', 'E27', 'E28', 'E29', 'E30']);
const STORED_EVENTS = new Set(['E6', 'E9', 'E11', 'E26']);
/** Injected lines may precede a block's allocation by up to this much; output waits that long to stay in order. */
const LOOKBACK_MS = 120_000;

/** A block's life as HDFS_v1 logs it: allocate, pipeline write to each replica, store, reads, maybe re-replicate, delete. */
function lifecycle(rng: Rng, replicas: number): Step[] {
  const steps: Step[] = [{ event: 'E22', replica: 0, at: rng.int(0, 1) }];
  for (let i = 0; i < replicas; i++) steps.push({ event: 'E5', replica: i, at: rng.int(0, 1) });
  const written = rng.int(3, 90);
  for (let i = replicas - 1; i >= 0; i--) {
    steps.push(
      { event: 'E11', replica: i, at: written },
      { event: rng.chance(0.9) ? 'E9' : 'E6', replica: i, at: written },
    );
  }
  for (let i = 0; i < replicas; i++) steps.push({ event: 'E26', replica: i, at: written + rng.int(0, 2) });
  const reads = rng.int(0, 10);
  for (let r = 0; r < reads; r++)
    steps.push({
      event: rng.chance(0.7) ? 'E3' : 'E4',
      replica: rng.int(0, replicas - 1),
      at: written + rng.int(10, 1800),
    });
  if (rng.chance(0.5)) steps.push({ event: 'E2', replica: 0, at: written + rng.int(60, 3000) });
  if (rng.chance(0.05)) {
    const t = written + rng.int(60, 600);
    steps.push(
      { event: 'E25', replica: 0, at: t },
      { event: 'E18', replica: 0, at: t + rng.int(1, 5) },
      { event: 'E16', replica: 0, at: t + rng.int(5, 20) },
    );
  }
  if (rng.chance(0.85)) {
    const t = written + rng.int(1800, 3600);
    for (let i = 0; i < replicas; i++)
      steps.push({ event: rng.chance(0.9) ? 'E23' : 'E30', replica: i, at: t + rng.int(0, 1) });
    for (let i = 0; i < replicas; i++) steps.push({ event: 'E21', replica: i, at: t + rng.int(2, 60) });
  }
  return steps;
}

function inject(steps: Step[], kind: InjectedAnomaly, rng: Rng, replicas: number): Step[] {
  const extra = anomalyEvents(kind, rng);
  const first = Math.min(...steps.map((s) => s.at));
  const written = steps.find((s) => s.event === 'E26')?.at ?? first;
  const kept = extra.dropStored
    ? steps.filter((s) => !(STORED_EVENTS.has(s.event) && s.replica === replicas - 1))
    : steps;
  return [
    ...kept,
    ...extra.before.map((e) => ({ event: e.event, replica: e.replica, at: first + e.at })),
    ...extra.after.map((e) => ({ event: e.event, replica: e.replica, at: written + e.at })),
  ];
}

/** A min-heap on (ts, seq). */
class EventQueue {
  private items: Pending[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Pending | undefined {
    return this.items[0];
  }

  push(p: Pending): void {
    const a = this.items;
    a.push(p);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): Pending | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

const before = (x: Pending, y: Pending) => x.ts < y.ts || (x.ts === y.ts && x.seq < y.seq);

/** Simulates `blocks` block lifecycles, interleaved in time, with labelled session-level anomalies. */
export function simulateHdfs(opts: SimulateOptions): HdfsSummary {
  const rng = new Rng(opts.seed ?? 1);
  const anomalyRate = opts.anomalyRate ?? 0.03;
  const perSecond = opts.blocksPerSecond ?? 2;
  const writer = new HdfsDatasetWriter(opts.out, opts.trainFraction);
  const clock = new HdfsClock();
  const queue = new EventQueue();
  const usedIds = new Set<string>();
  const datanodes = Array.from({ length: 200 }, () => `10.${rng.int(250, 251)}.${rng.int(0, 255)}.${rng.int(1, 254)}`);
  let seq = 0;
  let dataNodePid = 100;
  let now = opts.start ?? Date.UTC(2008, 10, 9, 20, 30, 0);

  const emit = (p: Pending) => {
    const { block } = p;
    if (!block.registered) {
      block.registered = true;
      writer.block(block.ctx.blk, block.kind);
    }
    const r = EVENTS[p.step.event](block.ctx, rng, p.step.replica);
    const pid = NAMENODE_EVENTS.has(p.step.event) ? rng.int(18, 35) : (dataNodePid = (dataNodePid % 30000) + 1);
    writer.line(
      formatHdfsLine(
        { ts: p.ts, pid, level: varyLevel(r.level, r.content, rng), component: r.component, content: r.content },
        clock,
      ),
    );
  };

  for (let b = 0; b < opts.blocks; b++) {
    now += rng.exponential(1000 / perSecond);
    while (queue.size > 0 && queue.peek()!.ts < now - LOOKBACK_MS) emit(queue.pop()!);
    const replicas = rng.chance(0.08) ? 2 : 3;
    const nodes = Array.from({ length: replicas }, () => rng.pick(datanodes));
    const task = String(b % 1000).padStart(6, '0');
    const ctx: BlockContext = {
      blk: freshBlockId(rng, usedIds),
      nodes,
      client: nodes[0],
      size: rng.chance(0.85) ? FULL_BLOCK : rng.int(100_000, FULL_BLOCK),
      file: `/user/root/rand/_temporary/_task_200811092030_${String(1 + Math.floor(b / 1000)).padStart(4, '0')}_m_${task}_0/part-${task.slice(1)}`,
    };
    const kind = rng.chance(anomalyRate) ? rng.pick(INJECTED_ANOMALIES) : undefined;
    const steps = kind ? inject(lifecycle(rng, replicas), kind, rng, replicas) : lifecycle(rng, replicas);
    const block: BlockState = { ctx, kind, registered: false };
    for (const step of steps)
      queue.push({ ts: Math.floor(now / 1000) * 1000 + step.at * 1000, seq: seq++, block, step });
    if ((b + 1) % 1_000 === 0) opts.onProgress?.(b + 1, opts.blocks);
  }
  while (queue.size > 0) emit(queue.pop()!);
  opts.onProgress?.(opts.blocks, opts.blocks);
  return writer.finish();
}
