/**
 * A first-in first-out queue over an array: taking from the front moves an index, and the taken prefix is let go
 * when the queue empties or once `keep` items were taken, so items leave memory soon after they are taken. For queues
 * that only ever meet their front (lines a scorer holds, lines waiting for their scores).
 */
export class HeadQueue<T> {
  private items: T[] = [];
  private head = 0;

  /**
   * `keep`: taken items the array may hold before it is cut. Cutting copies what is left, so by default the array is
   * cut only when the taken items are also over half of it (each item copied at most about once); `strict` cuts at
   * `keep` whatever is left, where the taken items must not outlive a long queue (memory over copying).
   */
  constructor(
    private readonly keep = 4096,
    private readonly strict = false,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  clear(): void {
    this.items.length = this.head = 0;
  }

  /** The front item; undefined when empty. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Takes the front item (the queue must not be empty). */
  shift(): T {
    const item = this.items[this.head++];
    if (this.head === this.items.length) this.items.length = this.head = 0;
    else if (this.head >= this.keep && (this.strict || this.head * 2 > this.items.length)) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }

  /** The items from the front, oldest first (not copied). */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i];
  }
}
