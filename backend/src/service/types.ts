import type { Model } from '../models/index.js';
import type { FileStream } from '../sources/file.js';
import type { DetectorKind, ScoredLine } from '../types.js';

/** The shapes at the service's seams: the scoring loop's lines, and the watcher's scored file lines. */

/** One line given to a stream's scoring loop: its text and, when the source knows it (Loki), its time in ms. */
export interface StreamItem {
  line: string;
  ms?: number;
}

/**
 * A line back from the loop, with the item it came from. `ms` is the line's time, parsed once (by the scorer's
 * parser) or the source's; `scored` is undefined while the stream's model is being learned (`learning` says how far);
 * `model` is the model that scored it.
 */
export interface StreamResult<T extends StreamItem> {
  item: T;
  ms: number;
  scored?: ScoredLine;
  learning?: string;
  model?: Model;
}

/** A file line given to a scoring loop, with the bytes it spans in its file. */
export interface FileItem extends StreamItem {
  /** Byte offset where the line starts. */
  start: number;
  /** Byte offset just after it (and its newline): where the next line starts. */
  end: number;
}

/** Lines of one file the watcher scored, in file order, each with the model that scored it (none: learning). */
export interface ScoredFileLines {
  file: FileStream;
  identity: string;
  detector: DetectorKind;
  results: readonly StreamResult<FileItem>[];
}

/** Where the watcher stands in a file it follows. */
export interface Covered {
  detector: DetectorKind;
  /** Every line before this offset was handed over already; every line from it on will be, in order. */
  offset: number;
}
