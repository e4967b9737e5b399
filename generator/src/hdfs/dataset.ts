import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChunkWriter } from '../format/chunk-writer.js';

export type BlockLabel = 'Normal' | 'Anomaly';

export interface HdfsSummary {
  lines: number;
  blocks: number;
  anomalies: number;
  /** Anomalous blocks per cause: an injected kind, or `original` (labelled anomalous in the input). */
  byKind: Record<string, number>;
  files: string[];
}

const DEFAULT_TRAIN_FRACTION = 0.8;

/**
 * The output directory of the augmenter and the simulator, in loghub's layout: `HDFS.log`, `anomaly_label.csv`
 * (`BlockId,Label`, Normal/Anomaly) and the split: `train_blocks.txt` holds the first `trainFraction` of the normal
 * blocks in order of first appearance; `test_blocks.txt` every other block, normal and anomalous.
 */
export class HdfsDatasetWriter {
  readonly logPath: string;
  private readonly fd: number;
  private readonly log: ChunkWriter;
  private readonly blocks: { id: string; label: BlockLabel }[] = [];
  private readonly byKind: Record<string, number> = {};
  private lines = 0;

  constructor(
    private readonly dir: string,
    private readonly trainFraction = DEFAULT_TRAIN_FRACTION,
  ) {
    mkdirSync(dir, { recursive: true });
    this.logPath = join(dir, 'HDFS.log');
    this.fd = openSync(this.logPath, 'w');
    this.log = new ChunkWriter(this.fd);
  }

  line(text: string): void {
    this.log.line(text);
    this.lines++;
  }

  /** Registers a block once, at its first appearance; `kind` names the cause of an anomaly. */
  block(id: string, kind?: string): void {
    this.blocks.push({ id, label: kind ? 'Anomaly' : 'Normal' });
    if (kind) this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
  }

  finish(): HdfsSummary {
    this.log.flush();
    closeSync(this.fd);
    const labelsPath = join(this.dir, 'anomaly_label.csv');
    writeFileSync(labelsPath, 'BlockId,Label\n' + this.blocks.map((b) => `${b.id},${b.label}\n`).join(''));
    const normal = this.blocks.filter((b) => b.label === 'Normal');
    const train = new Set(normal.slice(0, Math.floor(normal.length * this.trainFraction)).map((b) => b.id));
    const trainPath = join(this.dir, 'train_blocks.txt');
    const testPath = join(this.dir, 'test_blocks.txt');
    writeFileSync(trainPath, [...train].map((id) => id + '\n').join(''));
    writeFileSync(
      testPath,
      this.blocks
        .filter((b) => !train.has(b.id))
        .map((b) => b.id + '\n')
        .join(''),
    );
    const anomalies = this.blocks.length - normal.length;
    return {
      lines: this.lines,
      blocks: this.blocks.length,
      anomalies,
      byKind: this.byKind,
      files: [this.logPath, labelsPath, trainPath, testPath],
    };
  }
}
