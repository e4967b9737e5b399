/**
 * A first-in first-out queue over an array: taking from the front moves an index, and the taken prefix is let go
 * when the queue empties or when it is over half of the array (past `keep` items), so items leave memory soon after
 * they are taken. For queues that only ever meet their front (lines a scorer holds, lines waiting for their scores).
 */
export class HeadQueue<T> {
  private items: T[] = [];
  private head = 0;

  /** `keep`: taken items the array may hold before it is cut (cutting copies what is left). */
  constructor(private readonly keep = 4096) {}

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
    else if (this.head > this.keep && this.head * 2 > this.items.length) {
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
