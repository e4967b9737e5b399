/**
 * A query stopped before its end: the client closed the connection (499, as nginx logs it; nobody reads the answer)
 * or it ran past `server.limits.queryTimeoutMs` (504, as Loki answers its own query timeout).
 */
export class QueryStopped extends Error {
  override name = 'QueryStopped';
  constructor(
    message: string,
    readonly status: 499 | 504,
  ) {
    super(message);
  }
}

/**
 * How long a query may run, and the request whose closing cancels it. The query calls `check()` between files, every
 * few thousand rows and at every metric step, so neither a slow query nor an abandoned one keeps the server busy.
 */
export class Deadline {
  private readonly at: number;

  constructor(
    readonly ms: number,
    private readonly signal?: AbortSignal,
  ) {
    this.at = performance.now() + ms;
  }

  check(): void {
    if (this.signal?.aborted) throw new QueryStopped('query cancelled: the client closed the connection', 499);
    if (performance.now() > this.at) {
      throw new QueryStopped(`query timed out after ${this.ms} ms (server.limits.queryTimeoutMs)`, 504);
    }
  }
}
