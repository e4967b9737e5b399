// Renders HDFS event-number sessions (the logdeep sequence files) as raw HDFS_v1 lines with the generator's event
// renderers, so the pipeline can be measured end to end (parse, Drain templates, session tracking, detectors).
import { EVENTS } from '../generator/src/hdfs/events.js';
import { HdfsClock, formatHdfsLine } from '../generator/src/hdfs/line.js';
import { Rng } from '../generator/src/random/rng.js';

export interface RenderedSessions {
  lines: string[];
  /** Block id of each session, in input order. */
  blocks: string[];
}

/** One block per session, lines in session order, blocks one after the other; `firstBlock` keeps sets disjoint. */
export function renderSessions(
  sessions: readonly (readonly number[])[],
  firstBlock: number,
  seed: number,
): RenderedSessions {
  const rng = new Rng(seed);
  const clock = new HdfsClock();
  const datanodes = Array.from({ length: 200 }, () => `10.${rng.int(250, 251)}.${rng.int(0, 255)}.${rng.int(1, 254)}`);
  const lines: string[] = [];
  const blocks: string[] = [];
  let ts = Date.UTC(2008, 10, 9, 20, 30);
  sessions.forEach((events, i) => {
    const blk = `blk_${firstBlock + i}`;
    const nodes = Array.from({ length: 3 }, () => datanodes[rng.int(0, datanodes.length - 1)]);
    const task = String(rng.int(0, 99999)).padStart(5, '0');
    const ctx = {
      blk,
      nodes,
      client: nodes[0],
      size: rng.chance(0.9) ? 67108864 : rng.int(1000, 67108864),
      file: `/user/root/rand/_temporary/_task_200811092030_0001_m_0${task}_0/part-${task}`,
    };
    const replicaOf = new Map<number, number>();
    blocks.push(blk);
    for (const e of events) {
      const replica = replicaOf.get(e) ?? 0;
      replicaOf.set(e, replica + 1);
      const render = EVENTS[`E${e}`];
      if (!render) continue;
      const { level, component, content } = render(ctx, rng, replica);
      ts += rng.int(0, 2000);
      lines.push(formatHdfsLine({ ts, pid: rng.int(10, 40000), level, component, content }, clock));
    }
  });
  return { lines, blocks };
}
