import { readFileSync } from 'node:fs';

/**
 * Exact fast scoring for isolation-forest.ts. Each tree is padded to a complete binary tree of the forest's depth
 * (an early leaf is copied into every leaf below it), so a row takes exactly `depth` steps with no data-dependent
 * branch: node = 2 * node + (x[feature] < threshold ? 1 : 2), a conditional move. A WebAssembly kernel walks 8 rows
 * at once so their chains of dependent loads overlap. Same comparisons, same leaves, summed in tree order: the same
 * bits as walking the preorder trees, 4-8x faster (that walk's cost was branch mispredictions).
 */

/** The preorder trees, as IsolationForest stores them. */
export interface PreorderTrees {
  roots: ArrayLike<number>;
  feature: ArrayLike<number>;
  value: ArrayLike<number>;
  right: ArrayLike<number>;
}

/**
 * The padded trees. Node i of a tree (children 2i+1 and 2i+2) is a 16-byte record at treeBytes * tree + 16 * i:
 * an f64 threshold, then an i32 byte offset of its feature within a lane group (feature * 8 * LANES); a leaf's record
 * (the last level) holds only its f64 path length. The kernel goes right on x >= threshold, where the trees go right
 * on !(x < threshold): the same, but for NaN, so a NaN threshold is stored as -Infinity and the kernel reads a NaN x
 * as +Infinity (both still go right).
 */
export interface ForestLayout {
  table: Uint8Array;
  trees: number;
  depth: number;
  cols: number;
}

const RECORD_BYTES = 16;
/** 2^(MAX_DEPTH+1) records per tree: sampleSize up to 65,536. */
const MAX_DEPTH = 16;

export function padTrees(trees: PreorderTrees, cols: number): ForestLayout {
  const { roots, feature, value, right } = trees;
  const depth = Math.max(0, ...Array.from(roots, (root) => depthBelow(trees, root)));
  if (depth > MAX_DEPTH) throw new Error(`IsolationForest: trees ${depth} deep, more than the ${MAX_DEPTH} supported`);
  const treeBytes = (2 ** (depth + 1) - 1) * RECORD_BYTES;
  const view = new DataView(new ArrayBuffer(roots.length * treeBytes));
  const fill = (at: number, node: number, i: number, level: number): void => {
    const record = at + i * RECORD_BYTES;
    const leaf = feature[node] < 0;
    if (level === depth) {
      view.setFloat64(record, value[node], true);
    } else if (leaf) {
      // Its own record stays zero: both ways lead to copies of it.
      fill(at, node, 2 * i + 1, level + 1);
      fill(at, node, 2 * i + 2, level + 1);
    } else {
      view.setFloat64(record, Number.isNaN(value[node]) ? -Infinity : value[node], true);
      view.setInt32(record + 8, feature[node] * 8 * ForestKernel.LANES, true);
      fill(at, node + 1, 2 * i + 1, level + 1);
      fill(at, right[node], 2 * i + 2, level + 1);
    }
  };
  for (let t = 0; t < roots.length; t++) fill(t * treeBytes, roots[t], 0, 0);
  return { table: new Uint8Array(view.buffer), trees: roots.length, depth, cols };
}

function depthBelow(trees: PreorderTrees, node: number): number {
  if (trees.feature[node] < 0) return 0;
  return 1 + Math.max(depthBelow(trees, node + 1), depthBelow(trees, trees.right[node]));
}

/**
 * A forest's padded trees in a WebAssembly instance of forest-kernel.wasm, with room for one block of rows. Its memory
 * holds, in order: the group of rows being walked (at 0), the trees, the block's rows as given, the same rows in lane
 * groups (see forest-kernel.wat), their totals. The block starts small and grows with the batches it is given, up to
 * BLOCK_ROWS: a service holds a forest per stream, fed a few dozen lines at a time, and a block of 1,024 rows took
 * 280 KB of each (17 columns), half of a small stream model's memory.
 */
export class ForestKernel {
  /** Rows walked together: the kernel's lanes (written out in forest-kernel.wat). */
  static readonly LANES = 8;
  /** Most rows copied into the instance's memory per kernel call. */
  static readonly BLOCK_ROWS = 1024;
  /** The block a kernel starts with. */
  static readonly FIRST_BLOCK_ROWS = 64;
  /** Trees walked by all of a block's rows before the next ones. */
  static readonly PASS_TREES = 8;

  private readonly kernel: (...args: number[]) => void;
  private readonly wasm: WebAssembly.Memory;
  private memory!: Float64Array;
  private readonly tableAt: number;
  private readonly tableEnd: number;
  private readonly treeBytes: number;
  private readonly depth: number;
  private readonly cols: number;
  /** Where the block's rows start (bytes); where its lane groups and totals start, for a block of `blockRows`. */
  private readonly rowsAt: number;
  private groupsAt = 0;
  private totalsAt = 0;
  private blockRows = 0;

  /** The table is copied into the instance's memory; the layout need not be kept (100 KB a small forest). */
  constructor(layout: ForestLayout) {
    const { table, trees, depth, cols } = layout;
    this.treeBytes = trees ? table.length / trees : 0;
    this.depth = depth;
    this.cols = cols;
    this.tableAt = ForestKernel.LANES * cols * 8;
    this.tableEnd = this.tableAt + table.length;
    this.rowsAt = this.tableEnd;
    this.wasm = new WebAssembly.Memory({ initial: Math.ceil(this.rowsAt / 65536) });
    this.kernel = new WebAssembly.Instance(kernelModule(), { env: { memory: this.wasm } }).exports.sumPathLengths as (
      ...args: number[]
    ) => void;
    new Uint8Array(this.wasm.buffer).set(table, this.tableAt);
    this.reserve(ForestKernel.FIRST_BLOCK_ROWS);
  }

  /** Writes each row's path length, summed over the trees in tree order, to `total`. */
  sumPathLengths(data: Float64Array, rows: number, total: Float64Array): void {
    const { LANES, BLOCK_ROWS, PASS_TREES } = ForestKernel;
    if (rows > this.blockRows && this.blockRows < BLOCK_ROWS)
      this.reserve(Math.min(BLOCK_ROWS, 2 ** Math.ceil(Math.log2(rows))));
    const { memory, cols, blockRows, tableAt, tableEnd, treeBytes, depth, rowsAt, groupsAt, totalsAt } = this;
    const rowBytes = cols * 8;
    for (let first = 0; first < rows; first += blockRows) {
      const n = Math.min(blockRows, rows - first);
      memory.set(data.subarray(first * cols, (first + n) * cols), rowsAt / 8);
      const padded = Math.ceil(n / LANES) * LANES;
      memory.fill(0, totalsAt / 8, totalsAt / 8 + padded);
      this.kernel(
        tableAt,
        tableEnd,
        treeBytes,
        depth,
        PASS_TREES * treeBytes,
        rowsAt,
        rowBytes,
        groupsAt,
        totalsAt,
        totalsAt + padded * 8,
      );
      total.set(memory.subarray(totalsAt / 8, totalsAt / 8 + n), first);
    }
  }

  /** Room for a block of `rows` rows after the trees (the memory grows; the trees stay where they are). */
  private reserve(rows: number): void {
    const rowBytes = this.cols * 8;
    this.blockRows = rows;
    this.groupsAt = this.rowsAt + rows * rowBytes;
    this.totalsAt = this.groupsAt + rows * rowBytes;
    const pages = Math.ceil((this.totalsAt + rows * 8) / 65536);
    this.wasm.grow(Math.max(0, pages - this.wasm.buffer.byteLength / 65536));
    this.memory = new Float64Array(this.wasm.buffer);
  }
}

let compiled: WebAssembly.Module | undefined;

/** forest-kernel.wasm, compiled once per thread (synchronously: a few milliseconds). */
export function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('./forest-kernel.wasm', import.meta.url)));
  return compiled;
}
