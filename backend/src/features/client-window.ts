import { detached } from '../parsing/text.js';
import { MINUTE_MS } from '../stream.js';

/**
 * Per-client request rate and error ratio over a sliding window, approximated with two fixed buckets (the current
 * one and the previous one, weighted by how much of it still overlaps the window): O(1) time and memory per client.
 */
export const WINDOW_MS = MINUTE_MS;

export interface WindowReading {
  /** Requests in the last window, this one included. */
  requests: number;
  /** Share of those that were errors (HTTP >= 400). */
  errorRatio: number;
  /** Requests since the client became active (it is forgotten after two idle windows), and of those to rare routes. */
  total?: number;
  rare?: number;
  /** Of those, requests to another route than the client's request before (a prober moves from route to route). */
  switches?: number;
  /** Of those, requests that failed (HTTP >= 400) or wrote (not GET or HEAD): a prober's, not a crawler's. */
  probing?: number;
}

const PRUNE_EVERY = 100_000;
/** A slot of the table: the client's key (EMPTY if none), its bucket, then requests and errors in it and the one before. */
const KEY = 0;
const BUCKET = 1;
const REQUESTS = 2;
const ERRORS = 3;
const PREV_REQUESTS = 4;
const PREV_ERRORS = 5;
const TOTAL = 6;
const RARE = 7;
/** A number the caller keeps with the client (PopulationBuilder: its entity, plus one; 0 when none yet). */
const TAG = 8;
const LAST_ROUTE = 9;
const SWITCHES = 10;
const PROBING = 11;
const STRIDE = 12;
const EMPTY = -1;
/** Keys of clients that are not dotted IPv4 addresses start here (IPv4 addresses are their own 32-bit keys). */
const NAMED = 2 ** 32;

/**
 * The windows live in one open-addressing table of numbers (linear probing). Every line brings a fresh slice of its
 * client's address, which a Map would hash and compare as a string (slowly, for a sliced string); a dotted IPv4
 * address is parsed to its 32-bit value instead, and any other client name gets a number of its own.
 */
export class ClientWindows {
  private table = new Float64Array(0);
  private mask = 0;
  private size = 0;
  private seen = 0;
  private readonly named = new Map<string, number>();
  private nextNamed = NAMED;
  readonly reading: Required<WindowReading> = {
    requests: 0,
    errorRatio: 0,
    total: 0,
    rare: 0,
    switches: 0,
    probing: 0,
  };
  /** The number the last client added is known by (its IPv4 address as a 32-bit value, or its name's number). */
  lastKey = 0;
  private lastAt = 0;

  /** The caller's number kept with the last client added (0 until set). */
  get tag(): number {
    return this.table[this.lastAt + TAG];
  }

  set tag(v: number) {
    this.table[this.lastAt + TAG] = v;
  }

  constructor() {
    this.resize(1024);
  }

  /**
   * Counts one request at `ts` (ms) and returns the client's window (the same object each call); `rare` marks a
   * request to a route few clients ask for, `route` is its route id (see population.ts), `probing` one that failed
   * or wrote.
   */
  add(client: string, ts: number, error: boolean, rare = false, route = -1, probing = error): Required<WindowReading> {
    const bucket = Math.floor(ts / WINDOW_MS);
    const key = (this.lastKey = this.keyOf(client));
    let at = this.slotOf(key) * STRIDE;
    let t = this.table;
    if (t[at + KEY] === EMPTY) {
      if ((this.size + 1) * 2 > t.length / STRIDE) {
        this.resize((t.length / STRIDE) * 2);
        t = this.table;
        at = this.slotOf(key) * STRIDE;
      }
      t[at + KEY] = key;
      t[at + BUCKET] = bucket;
      this.size++;
    } else if (bucket > t[at + BUCKET]) {
      const adjacent = bucket === t[at + BUCKET] + 1;
      t[at + PREV_REQUESTS] = adjacent ? t[at + REQUESTS] : 0;
      t[at + PREV_ERRORS] = adjacent ? t[at + ERRORS] : 0;
      t[at + REQUESTS] = 0;
      t[at + ERRORS] = 0;
      t[at + BUCKET] = bucket;
    }
    t[at + REQUESTS]++;
    if (error) t[at + ERRORS]++;
    t[at + TOTAL]++;
    if (rare) t[at + RARE]++;
    if (probing) t[at + PROBING]++;
    if (t[at + TOTAL] > 1 && t[at + LAST_ROUTE] !== route) t[at + SWITCHES]++;
    t[at + LAST_ROUTE] = route;
    this.reading.switches = t[at + SWITCHES];
    this.lastAt = at;
    this.reading.total = t[at + TOTAL];
    this.reading.rare = t[at + RARE];
    this.reading.probing = t[at + PROBING];
    const overlap = 1 - (ts - bucket * WINDOW_MS) / WINDOW_MS;
    const requests = t[at + REQUESTS] + t[at + PREV_REQUESTS] * overlap;
    this.reading.requests = requests;
    this.reading.errorRatio = (t[at + ERRORS] + t[at + PREV_ERRORS] * overlap) / requests;
    if (++this.seen % PRUNE_EVERY === 0) this.prune(bucket);
    return this.reading;
  }

  /** A dotted IPv4 address's 32-bit value (written canonically: no leading zeros), or the client name's number. */
  private keyOf(client: string): number {
    const n = client.length;
    let value = 0;
    let octet = 0;
    let digits = 0;
    let dots = 0;
    for (let i = 0; i <= n; i++) {
      const c = i < n ? client.charCodeAt(i) : 46; /* . */
      if (c >= 48 && c <= 57 && digits < 3 && !(digits === 1 && octet === 0)) {
        octet = octet * 10 + c - 48;
        digits++;
      } else if (c === 46 && digits > 0 && octet <= 255 && dots < 4) {
        value = value * 256 + octet;
        octet = digits = 0;
        dots++;
      } else {
        return this.namedKey(client);
      }
    }
    return dots === 4 ? value : this.namedKey(client);
  }

  private namedKey(client: string): number {
    let key = this.named.get(client);
    if (key === undefined) {
      key = this.nextNamed++;
      this.named.set(detached(client), key);
    }
    return key;
  }

  /** The key's slot, or the empty slot where it belongs. */
  private slotOf(key: number): number {
    const h = Math.imul(key < NAMED ? key | 0 : ~(key - NAMED), 0x9e3779b1);
    let slot = (h ^ (h >>> 16)) & this.mask;
    for (let k = this.table[slot * STRIDE]; k !== EMPTY && k !== key; k = this.table[slot * STRIDE])
      slot = (slot + 1) & this.mask;
    return slot;
  }

  /** Forgets clients idle for two windows, so memory follows the active clients, not every client ever seen. */
  private prune(bucket: number): void {
    const kept = this.resize(this.table.length / STRIDE, (old, at) => old[at + BUCKET] < bucket - 1);
    for (const [name, key] of this.named) if (!kept.has(key)) this.named.delete(name);
  }

  /** Rebuilds the table with `slots` slots, leaving out the clients `drop` picks; returns the named keys kept. */
  private resize(slots: number, drop?: (old: Float64Array, at: number) => boolean): Set<number> {
    const old = this.table;
    this.table = new Float64Array(slots * STRIDE);
    for (let at = 0; at < this.table.length; at += STRIDE) this.table[at + KEY] = EMPTY;
    this.mask = slots - 1;
    this.size = 0;
    const kept = new Set<number>();
    for (let at = 0; at < old.length; at += STRIDE) {
      const key = old[at + KEY];
      if (key === EMPTY || drop?.(old, at)) continue;
      this.table.set(old.subarray(at, at + STRIDE), this.slotOf(key) * STRIDE);
      this.size++;
      if (key >= NAMED) kept.add(key);
    }
    return kept;
  }
}
