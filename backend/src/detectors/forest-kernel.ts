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
 * groups (see forest-kernel.wat), their totals.
 */
export class ForestKernel {
  /** Rows walked together: the kernel's lanes (written out in forest-kernel.wat). */
  static readonly LANES = 8;
  /** Rows copied into the instance's memory per kernel call. */
  static readonly BLOCK_ROWS = 1024;
  /** Trees walked by all of a block's rows before the next ones. */
  static readonly PASS_TREES = 8;

  /** Runs the kernel over the block's first `rows` rows (a multiple of LANES). */
  private readonly run: (rows: number) => void;
  private readonly memory: Float64Array;
  /** Where the block's rows and their totals start in `memory`. */
  private readonly rowsAt: number;
  private readonly totalsAt: number;

  private readonly cols: number;

  /** The table is copied into the instance's memory; the layout need not be kept (100 KB a small forest). */
  constructor(layout: ForestLayout) {
    const { LANES, BLOCK_ROWS, PASS_TREES } = ForestKernel;
    const { table, trees, depth, cols } = layout;
    const treeBytes = trees ? table.length / trees : 0;
    const rowBytes = cols * 8;
    const tableAt = LANES * rowBytes;
    const tableEnd = tableAt + table.length;
    const rowsAt = tableEnd;
    const groupsAt = rowsAt + BLOCK_ROWS * rowBytes;
    const totalsAt = groupsAt + BLOCK_ROWS * rowBytes;
    const memory = new WebAssembly.Memory({ initial: Math.ceil((totalsAt + BLOCK_ROWS * 8) / 65536) });
    const kernel = new WebAssembly.Instance(kernelModule(), { env: { memory } }).exports.sumPathLengths as (
      ...args: number[]
    ) => void;
    const passBytes = PASS_TREES * treeBytes;
    this.run = (rows) =>
      kernel(tableAt, tableEnd, treeBytes, depth, passBytes, rowsAt, rowBytes, groupsAt, totalsAt, totalsAt + rows * 8);
    new Uint8Array(memory.buffer).set(table, tableAt);
    this.cols = cols;
    this.memory = new Float64Array(memory.buffer);
    this.rowsAt = rowsAt / 8;
    this.totalsAt = totalsAt / 8;
  }

  /** Writes each row's path length, summed over the trees in tree order, to `total`. */
  sumPathLengths(data: Float64Array, rows: number, total: Float64Array): void {
    const { LANES, BLOCK_ROWS } = ForestKernel;
    const { memory, rowsAt, totalsAt, cols } = this;
    for (let first = 0; first < rows; first += BLOCK_ROWS) {
      const n = Math.min(BLOCK_ROWS, rows - first);
      memory.set(data.subarray(first * cols, (first + n) * cols), rowsAt);
      const padded = Math.ceil(n / LANES) * LANES;
      memory.fill(0, totalsAt, totalsAt + padded);
      this.run(padded);
      total.set(memory.subarray(totalsAt, totalsAt + n), first);
    }
  }
}

let compiled: WebAssembly.Module | undefined;

/** forest-kernel.wasm, compiled once per thread (synchronously: a few milliseconds). */
export function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('./forest-kernel.wasm', import.meta.url)));
  return compiled;
}
