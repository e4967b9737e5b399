import type { Matrix } from '../types.js';

/** A session is the sequence of template ids of its lines, in order. */
export type Session = readonly number[];

export interface SessionVectorizerOptions {
  /** A template present in at least this share of training sessions is a lifecycle step (default 0.99). */
  lifecycleSupport?: number;
  /** A pair (a, b) is an ordering rule when a comes first in every one of at least this many sessions with both (default 5). */
  orderSupport?: number;
}

export interface SessionVectorizerState {
  kind: 'session-vectorizer';
  vocabulary: number[];
  idf: number[];
  usualRank: number[];
  lifecycle: number[];
  orderRules: [number, number][];
}

/**
 * Session features, one row per session:
 * - count of each training template, weighted by idf = ln((N + 1) / (df + 1)) + 1 (loglizer's idf plus 1, so a
 *   template present in every session still counts: its absence is the strongest evidence there is);
 * - per template, how far its first occurrence sits from its usual place (rank among the session's distinct
 *   templates, as a share of them, minus the training mean; 0 when absent);
 * - lifecycle steps missing: templates present in >= 99% of training sessions that this session lacks;
 * - order violations: pairs (a, b) where a always came first in training but b comes first here;
 * - lines whose template was never seen in training; session length.
 */
export class SessionVectorizer {
  readonly featureNames: string[];
  private readonly column: Map<number, number>;

  private constructor(
    private readonly vocabulary: number[],
    private readonly idf: number[],
    private readonly usualRank: number[],
    private readonly lifecycle: number[],
    private readonly orderRules: [number, number][],
  ) {
    this.column = new Map(vocabulary.map((t, i) => [t, i]));
    this.featureNames = [
      ...vocabulary.map((t) => `count(${t})`),
      ...vocabulary.map((t) => `position(${t})`),
      'lifecycle steps missing',
      'steps out of order',
      'unseen templates',
      'session length',
    ];
  }

  static fit(sessions: readonly Session[], opts: SessionVectorizerOptions = {}): SessionVectorizer {
    if (sessions.length === 0) throw new Error('SessionVectorizer.fit: no training sessions');
    const lifecycleSupport = opts.lifecycleSupport ?? 0.99;
    const orderSupport = opts.orderSupport ?? 5;
    const df = new Map<number, number>();
    const rankSum = new Map<number, number>();
    const before = new Map<number, number>();
    const index = new Map<number, number>(); // template id -> dense index, for compact pair keys
    const idOf: number[] = [];
    const denseOf = (t: number) => {
      let i = index.get(t);
      if (i === undefined) {
        i = idOf.push(t) - 1;
        index.set(t, i);
      }
      return i;
    };
    for (const s of sessions) {
      const order = firstOccurrences(s);
      order.forEach((t, r) => {
        df.set(t, (df.get(t) ?? 0) + 1);
        rankSum.set(t, (rankSum.get(t) ?? 0) + relativeRank(r, order.length));
      });
      const steps = Math.min(order.length, ORDER_STEPS);
      for (let i = 0; i < steps; i++) {
        for (let j = i + 1; j < steps; j++) {
          const k = denseOf(order[i]) * PAIR_BASE + denseOf(order[j]);
          before.set(k, (before.get(k) ?? 0) + 1);
        }
      }
    }
    const vocabulary = [...df.keys()].sort((a, b) => a - b);
    const n = sessions.length;
    const orderRules: [number, number][] = [];
    for (const [k, count] of before) {
      const a = Math.floor(k / PAIR_BASE);
      const b = k % PAIR_BASE;
      if (count >= orderSupport && !before.has(b * PAIR_BASE + a)) orderRules.push([idOf[a], idOf[b]]);
    }
    orderRules.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    return new SessionVectorizer(
      vocabulary,
      vocabulary.map((t) => Math.log((n + 1) / (df.get(t)! + 1)) + 1),
      vocabulary.map((t) => rankSum.get(t)! / df.get(t)!),
      vocabulary.filter((t) => df.get(t)! >= lifecycleSupport * n),
      orderRules,
    );
  }

  get width(): number {
    return this.featureNames.length;
  }

  transform(session: Session): Float64Array {
    const out = new Float64Array(this.width);
    this.write(session, out, 0);
    return out;
  }

  transformAll(sessions: readonly Session[]): Matrix {
    const cols = this.width;
    const data = new Float64Array(sessions.length * cols);
    sessions.forEach((s, i) => this.write(s, data, i * cols));
    return { data, rows: sessions.length, cols };
  }

  private write(session: Session, out: Float64Array, at: number): void {
    const v = this.vocabulary.length;
    let unseen = 0;
    for (const t of session) {
      const c = this.column.get(t);
      if (c === undefined) unseen++;
      else out[at + c] += this.idf[c];
    }
    const order = firstOccurrences(session);
    const firstAt = new Map<number, number>();
    order.forEach((t, r) => {
      firstAt.set(t, r);
      const c = this.column.get(t);
      if (c !== undefined) out[at + v + c] = relativeRank(r, order.length) - this.usualRank[c];
    });
    const missing = this.lifecycle.reduce((m, t) => m + (firstAt.has(t) ? 0 : 1), 0);
    let outOfOrder = 0;
    for (const [a, b] of this.orderRules) {
      const ra = firstAt.get(a);
      const rb = firstAt.get(b);
      if (ra !== undefined && rb !== undefined && rb < ra) outOfOrder++;
    }
    out[at + 2 * v] = missing;
    out[at + 2 * v + 1] = outOfOrder;
    out[at + 2 * v + 2] = unseen;
    out[at + 2 * v + 3] = session.length;
  }

  toJSON(): SessionVectorizerState {
    return {
      kind: 'session-vectorizer',
      vocabulary: this.vocabulary,
      idf: this.idf,
      usualRank: this.usualRank,
      lifecycle: this.lifecycle,
      orderRules: this.orderRules,
    };
  }

  static fromJSON(s: SessionVectorizerState): SessionVectorizer {
    if (s?.kind !== 'session-vectorizer' || !Array.isArray(s.vocabulary)) {
      throw new Error('SessionVectorizer.fromJSON: not a session vectorizer state');
    }
    return new SessionVectorizer(s.vocabulary, s.idf, s.usualRank, s.lifecycle, s.orderRules);
  }
}

/** Order rules are learnt among a session's first this many distinct templates (pairs grow quadratically). */
const ORDER_STEPS = 64;
const PAIR_BASE = 2 ** 26;

/** Distinct templates in order of first appearance. */
function firstOccurrences(session: Session): number[] {
  return [...new Set(session)];
}

/** Rank r of n as a share in [0, 1]. */
function relativeRank(r: number, n: number): number {
  return n > 1 ? r / (n - 1) : 0;
}
