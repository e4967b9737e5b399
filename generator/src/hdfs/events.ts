import type { Rng } from '../random/rng.js';

/**
 * The 30 event templates of HDFS_v1 (loghub's HDFS_templates.csv numbering, E1 to E30) as line renderers.
 * Levels and components follow the real log; the simulator and the augmenter draw lines from here.
 */

export interface BlockContext {
  blk: string;
  /** Data nodes holding the replicas (ip only; the port is 50010). */
  nodes: string[];
  /** The writing client. */
  client: string;
  size: number;
  file: string;
}

export type Render = (
  c: BlockContext,
  rng: Rng,
  replica: number,
) => { level: string; component: string; content: string };

const node = (c: BlockContext, i: number) => c.nodes[i % c.nodes.length];
const port = (rng: Rng) => 32768 + Math.floor(rng.next() * 28000);
/** A peer outside the block's pipeline: a reader, or a new replica's target. */
const other = (rng: Rng) => `10.251.${rng.int(0, 255)}.${rng.int(1, 254)}`;

export const EVENTS: Record<string, Render> = {
  E1: (c) => ({ level: 'INFO', component: 'dfs.FSDataset', content: `Adding an already existing block ${c.blk}` }),
  E2: (c) => ({ level: 'INFO', component: 'dfs.DataBlockScanner', content: `Verification succeeded for ${c.blk}` }),
  E3: (c, rng, i) => ({
    level: 'INFO',
    component: 'dfs.DataNode$DataXceiver',
    content: `${node(c, i)}:50010 Served block ${c.blk} to /${other(rng)}`,
  }),
  E4: (c, rng, i) => ({
    level: 'WARN',
    component: 'dfs.DataNode$DataXceiver',
    content: `${node(c, i)}:50010:Got exception while serving ${c.blk} to /${other(rng)}:`,
  }),
  E5: (c, rng, i) => ({
    level: 'INFO',
    component: 'dfs.DataNode$DataXceiver',
    content: `Receiving block ${c.blk} src: /${i === 0 ? c.client : node(c, i - 1)}:${port(rng)} dest: /${node(c, i)}:50010`,
  }),
  E6: (c, rng, i) => ({
    level: 'INFO',
    component: 'dfs.DataNode$DataXceiver',
    content: `Received block ${c.blk} src: /${i === 0 ? c.client : node(c, i - 1)}:${port(rng)} dest: /${node(c, i)}:50010 of size ${c.size}`,
  }),
  E7: (c) => ({
    level: 'INFO',
    component: 'dfs.DataNode$DataXceiver',
    content: `writeBlock ${c.blk} received exception java.io.IOException: Could not read from stream`,
  }),
  E8: (c, _rng, i) => ({
    level: 'INFO',
    component: 'dfs.DataNode$PacketResponder',
    content: `PacketResponder ${i % 3} for block ${c.blk} Interrupted.`,
  }),
  E9: (c, _rng, i) => ({
    level: 'INFO',
    component: 'dfs.DataNode$PacketResponder',
    content: `Received block ${c.blk} of size ${c.size} from /${i === 0 ? c.client : node(c, i - 1)}`,
  }),
  E10: (c, _rng, i) => ({
    level: 'INFO',
    component: 'dfs.DataNode$PacketResponder',
    content: `PacketResponder ${c.blk} ${i % 3} Exception java.io.IOException: Connection reset by peer`,
  }),
  E11: (c, _rng, i) => ({
    level: 'INFO',
    component: 'dfs.DataNode$PacketResponder',
    content: `PacketResponder ${(c.nodes.length - 1 - i + 3) % 3} for block ${c.blk} terminating`,
  }),
  E12: (c, _rng, i) => ({
    level: 'INFO',
    component: 'dfs.DataNode$DataXceiver',
    content: `${node(c, i)}:50010:Exception writing block ${c.blk} to mirror ${node(c, i + 1)}:50010`,
  }),
  E13: (c) => ({
    level: 'INFO',
    component: 'dfs.DataNode$DataXceiver',
    content: `Receiving empty packet for block ${c.blk}`,
  }),
  E14: (c) => ({
    level: 'INFO',
    component: 'dfs.DataNode$DataXceiver',
    content: `Exception in receiveBlock for block ${c.blk} java.io.EOFException`,
  }),
  E15: (c, rng) => ({
    level: 'INFO',
    component: 'dfs.DataNode',
    content: `Changing block file offset of block ${c.blk} from ${rng.int(0, c.size)} to ${rng.int(0, c.size)} meta file offset to ${rng.int(0, 524295)}`,
  }),
  E16: (c, rng, i) => ({
    level: 'INFO',
    component: 'dfs.DataNode$DataTransfer',
    content: `${node(c, i)}:50010:Transmitted block ${c.blk} to /${other(rng)}:50010`,
  }),
  E17: (c, rng, i) => ({
    level: 'WARN',
    component: 'dfs.DataNode',
    content: `${node(c, i)}:50010:Failed to transfer ${c.blk} to ${other(rng)}:50010 got java.net.SocketException: Connection reset`,
  }),
  E18: (c, rng, i) => ({
    level: 'INFO',
    component: 'dfs.DataNode',
    content: `${node(c, i)}:50010 Starting thread to transfer block ${c.blk} to ${other(rng)}:50010`,
  }),
  E19: (c) => ({ level: 'INFO', component: 'dfs.FSDataset', content: `Reopen Block ${c.blk}` }),
  E20: (c) => ({
    level: 'WARN',
    component: 'dfs.FSDataset',
    content: `Unexpected error trying to delete block ${c.blk}. BlockInfo not found in volumeMap.`,
  }),
  E21: (c, rng) => ({
    level: 'INFO',
    component: 'dfs.FSDataset',
    content: `Deleting block ${c.blk} file /mnt/hadoop/dfs/data/current/subdir${rng.int(0, 63)}/${c.blk}`,
  }),
  E22: (c) => ({
    level: 'INFO',
    component: 'dfs.FSNamesystem',
    content: `BLOCK* NameSystem.allocateBlock: ${c.file}. ${c.blk}`,
  }),
  E23: (c, _rng, i) => ({
    level: 'INFO',
    component: 'dfs.FSNamesystem',
    content: `BLOCK* NameSystem.delete: ${c.blk} is added to invalidSet of ${node(c, i)}:50010`,
  }),
  E24: (c) => ({
    level: 'INFO',
    component: 'dfs.FSNamesystem',
    content: `BLOCK* Removing block ${c.blk} from neededReplications as it does not belong to any file.`,
  }),
  E25: (c, rng, i) => ({
    level: 'INFO',
    component: 'dfs.FSNamesystem',
    content: `BLOCK* ask ${node(c, i)}:50010 to replicate ${c.blk} to datanode(s) ${other(rng)}:50010`,
  }),
  E26: (c, _rng, i) => ({
    level: 'INFO',
    component: 'dfs.FSNamesystem',
    content: `BLOCK* NameSystem.addStoredBlock: blockMap updated: ${node(c, i)}:50010 is added to ${c.blk} size ${c.size}`,
  }),
  E27: (c, _rng, i) => ({
    level: 'WARN',
    component: 'dfs.FSNamesystem',
    content: `BLOCK* NameSystem.addStoredBlock: Redundant addStoredBlock request received for ${c.blk} on ${node(c, i)}:50010 size ${c.size}`,
  }),
  E28: (c, _rng, i) => ({
    level: 'WARN',
    component: 'dfs.FSNamesystem',
    content: `BLOCK* NameSystem.addStoredBlock: addStoredBlock request received for ${c.blk} on ${node(c, i)}:50010 size ${c.size} But it does not belong to any file.`,
  }),
  E29: (c) => ({
    level: 'WARN',
    component: 'dfs.PendingReplicationMonitor',
    content: `PendingReplicationMonitor timed out block ${c.blk}`,
  }),
  E30: (c, _rng, i) => ({
    level: 'INFO',
    component: 'dfs.FSNamesystem',
    content: `BLOCK* ask ${node(c, i)}:50010 to delete  ${c.blk}`,
  }),
};

/** Session-level anomalies both tools inject, each leaving a trace in the block's event sequence. */
export const INJECTED_ANOMALIES = ['missing_replication', 'exception', 'out_of_order', 'extra_deletes'] as const;
export type InjectedAnomaly = (typeof INJECTED_ANOMALIES)[number];

/** An event to add to a block, `at` seconds relative to an anchor the caller picks. */
export interface ExtraEvent {
  event: keyof typeof EVENTS;
  replica: number;
  at: number;
}

/**
 * The lines an anomaly adds to a block, relative to its first (`before`) or last (`after`) line.
 * `dropStored` asks the caller to remove the block's stored/received confirmations (missing replication).
 */
export function anomalyEvents(
  kind: InjectedAnomaly,
  rng: Rng,
): { before: ExtraEvent[]; after: ExtraEvent[]; dropStored: boolean } {
  const replica = () => rng.int(0, 2);
  switch (kind) {
    case 'missing_replication':
      return {
        before: [],
        after: [
          { event: 'E25', replica: 0, at: rng.int(30, 300) },
          { event: 'E29', replica: 0, at: rng.int(300, 900) },
        ],
        dropStored: true,
      };
    case 'exception':
      return {
        before: [],
        after: [
          { event: rng.pick(['E7', 'E14', 'E12', 'E17'] as const), replica: replica(), at: rng.int(0, 20) },
          { event: rng.pick(['E10', 'E8', 'E13', 'E15', 'E19'] as const), replica: replica(), at: rng.int(1, 30) },
        ],
        dropStored: false,
      };
    case 'out_of_order':
      return {
        before: [
          { event: 'E11', replica: 0, at: -rng.int(5, 60) },
          { event: 'E21', replica: 0, at: -rng.int(1, 5) },
        ],
        after: rng.chance(0.5)
          ? [{ event: rng.pick(['E1', 'E27'] as const), replica: replica(), at: rng.int(1, 60) }]
          : [],
        dropStored: false,
      };
    case 'extra_deletes':
      return {
        before: [],
        after: [
          { event: 'E23', replica: 0, at: rng.int(60, 600) },
          { event: 'E21', replica: 0, at: rng.int(600, 900) },
          { event: rng.pick(['E21', 'E28', 'E24'] as const), replica: 0, at: rng.int(900, 1200) },
          { event: 'E20', replica: 0, at: rng.int(1200, 1500) },
        ],
        dropStored: false,
      };
  }
}

/** Stored/received confirmations, removed by `missing_replication`. */
export const STORED_CONTENT =
  /addStoredBlock: blockMap updated|Received block|PacketResponder \d+ for block \S+ terminating/;

/** Level variation: the same message shows up at neighbouring levels in real HDFS logs. */
export function varyLevel(level: string, content: string, rng: Rng): string {
  if (level === 'WARN') return rng.chance(0.05) ? 'ERROR' : level;
  if (level === 'INFO' && /Exception|exception/.test(content)) return rng.chance(0.3) ? 'WARN' : level;
  return level;
}
