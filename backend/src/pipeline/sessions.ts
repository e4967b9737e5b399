import { userRegExp } from '../parsing/user-regex.js';
import { PipelineInputError } from './errors.js';

/**
 * Groups items by session key. A session closes when it has been idle for `idleMs` (by line timestamps), when
 * `closeAll` is called, or, oldest first, when more than `maxItems` items are held in open sessions.
 */
export interface OpenSession<T> {
  key: string;
  last: number;
  items: T[];
}

const IDLE_CHECK_EVERY = 4096;

export class SessionTracker<T> {
  private readonly open = new Map<string, OpenSession<T>>();
  private held = 0;
  private added = 0;

  constructor(
    private readonly onClose: (s: OpenSession<T>) => void,
    private readonly idleMs = Infinity,
    private readonly maxItems = 500_000,
  ) {}

  add(key: string, ts: number | undefined, item: T): void {
    const now = ts ?? 0;
    let s = this.open.get(key);
    if (s && ts !== undefined && now - s.last > this.idleMs) {
      this.close(s);
      s = undefined;
    }
    if (!s) {
      s = { key, last: now, items: [] };
      this.open.set(key, s);
    }
    s.items.push(item);
    if (now > s.last) s.last = now;
    this.held++;
    if (++this.added % IDLE_CHECK_EVERY === 0 && ts !== undefined && this.idleMs !== Infinity) this.closeIdle(now);
    while (this.held > this.maxItems) this.close(this.open.values().next().value!);
  }

  closeAll(): void {
    for (const s of [...this.open.values()]) this.close(s);
  }

  private closeIdle(now: number): void {
    for (const s of [...this.open.values()]) if (now - s.last > this.idleMs) this.close(s);
  }

  private close(s: OpenSession<T>): void {
    this.open.delete(s.key);
    this.held -= s.items.length;
    this.onClose(s);
  }
}

/** Compiles a user's session key regex (linear in the line); the first match in a line is its key. */
export function sessionKeyRegex(source: string): RegExp {
  try {
    return userRegExp(source);
  } catch (e) {
    throw new PipelineInputError(`invalid --session-key regex ${JSON.stringify(source)}: ${(e as Error).message}`);
  }
}
