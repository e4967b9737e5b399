import { Rng } from '../random/rng.js';
import type { AppLog } from './app-log.js';
import type { Faults } from './faults.js';

export class DbError extends Error {}

const SLOW_QUERY_MS = 250;

/** A pretend database: small latencies, an occasional slow query, and rare (or, in a storm, frequent) failures. */
export class SimulatedDb {
  private readonly rng: Rng;

  constructor(
    private readonly log: AppLog,
    private readonly faults: Faults,
    seed: number,
    private readonly failureRate = 0.003,
  ) {
    this.rng = new Rng(seed);
  }

  async query(sql: string): Promise<void> {
    const storm = this.faults.active('db_error_storm');
    const slow = this.rng.chance(0.01);
    const ms = storm ? this.rng.logNormal(300, 0.8) : slow ? this.rng.logNormal(600, 0.4) : this.rng.logNormal(4, 0.5);
    await new Promise((r) => setTimeout(r, ms));
    if (this.rng.chance(storm ? 0.85 : this.failureRate)) {
      this.log.error('Database connection failed', { error: 'ECONNRESET', query: sql, after_ms: Math.round(ms) });
      throw new DbError('Database connection failed');
    }
    if (ms >= SLOW_QUERY_MS) this.log.warn('Slow query', { query: sql, duration_ms: Math.round(ms) });
  }
}
