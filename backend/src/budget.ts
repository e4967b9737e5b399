/**
 * A count shared by many holders in the process (template caches' messages, lines held for bursts), kept under a
 * limit: each holder owns a share, and a holder about to add one more while the whole is at the limit does not (a
 * cache caches no more) or gives its share back first (a scorer lets its lines go). A holder collected by the
 * garbage collector gives its share back too.
 */
export class Budget {
  private used = 0;
  private readonly released = new FinalizationRegistry<BudgetShare>((share) => (this.used -= share.size));

  constructor(readonly limit: number) {}

  /** What all holders hold now. */
  get total(): number {
    return this.used;
  }

  /** A share for `owner`, given back when `owner` is collected. */
  share(owner: object): BudgetShare {
    const share = new BudgetShare(this);
    this.released.register(owner, share);
    return share;
  }

  /** @internal */
  move(n: number): void {
    this.used += n;
  }
}

export class BudgetShare {
  size = 0;

  constructor(private readonly budget: Budget) {}

  /** The budget is spent: the holder should give its share back before adding more. */
  get exhausted(): boolean {
    return this.budget.total >= this.budget.limit;
  }

  add(n = 1): void {
    this.size += n;
    this.budget.move(n);
  }

  remove(n = 1): void {
    this.add(-n);
  }

  /** All of this share given back. */
  clear(): void {
    this.budget.move(-this.size);
    this.size = 0;
  }
}
