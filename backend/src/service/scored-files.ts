import type { DetectorKind } from '../types.js';
import type { Covered, ScoredFileLines } from './types.js';

/** A file's identity, as the watcher's checkpoint keys it: `<inode>:<first-line fingerprint>`. */
export const fileIdentity = (ino: number, fp: string | undefined): string => `${ino}:${fp ?? ''}`;

/**
 * The watcher's scored file lines, handed over as they are scored, so that under `anomalog start` (the watcher and the
 * Loki API in one process) the query index takes them instead of reading and scoring the files a second time
 * (api/loki/scored-index.ts). The watcher also says, at the end of each cycle, how far it has handed over each file it
 * follows: the index scores by itself only what lies before (lines the watcher read before the index took any) and
 * leaves the rest to it.
 */
export class ScoredFiles {
  private readonly listeners = new Set<(lines: ScoredFileLines) => void>();
  private covered = new Map<string, Covered>();
  private found?: () => void;
  private pending = Promise.resolve();

  /** True when someone takes the lines (the Loki API runs in this process). */
  get listened(): boolean {
    return this.listeners.size > 0;
  }

  listen(listener: (lines: ScoredFileLines) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(lines: ScoredFileLines): void {
    for (const listener of this.listeners) listener(lines);
  }

  /** The files the watcher follows now (by identity), replacing the last cycle's; empty when it stopped. */
  follow(files: Map<string, Covered>): void {
    this.covered = files;
    this.found?.();
    this.found = undefined;
  }

  /**
   * The watcher's first read of its files runs (at its start, or after a failed read): until it ends (`follow`), where
   * it starts in each file is not known, and `known()` waits.
   */
  starting(): void {
    if (!this.found) this.pending = new Promise<void>((resolve) => (this.found = resolve));
  }

  /** Resolves once the files the watcher follows are known (at once unless its first read runs). */
  known(): Promise<void> {
    return this.found ? this.pending : Promise.resolve();
  }

  /** A file the watcher starts reading in this cycle, at `covered.offset`: a query leaves the rest to it already. */
  begin(identity: string, covered: Covered): void {
    if (!this.covered.has(identity)) this.covered.set(identity, covered);
  }

  /** How far the watcher has handed over this file for this detector; undefined when it does not follow it. */
  coveredOf(identity: string, detector: DetectorKind): number | undefined {
    const c = this.covered.get(identity);
    return c && c.detector === detector ? c.offset : undefined;
  }
}
