import type { AccessRecord } from '../format/access-line.js';
import { buildPools } from '../pools/pools.js';
import { cumulative, Rng } from '../random/rng.js';
import { NormalTraffic } from './site.js';
import {
  ACTOR_REQUESTS,
  OFF_BY_DEFAULT,
  SCENARIOS,
  WINDOW_SCENARIOS,
  WINDOW_SECONDS,
  startActor,
  startWindow,
  type Actor,
  type Label,
  type Scenario,
  type Window,
} from './scenarios.js';

export interface TrafficOptions {
  /** Drives the sampling: same seed, same traffic. */
  seed?: number;
  /** Seeds the site's population (client IPs, user agents, search terms, products), default 1: traffic of
   * different seeds comes from the same users, as on a real site from one day to the next. */
  population?: number;
  /** Target share of lines that belong to incidents, in [0, 1). */
  anomalyRate?: number;
  /** Peak normal requests per second (the diurnal curve dips to a fifth of it at night). */
  rate?: number;
  /** First timestamp, ms since the epoch. */
  start?: number;
  /** Follow the day's curve (default); false keeps the peak rate all day. */
  diurnal?: boolean;
  /** Relative share of anomalous lines per scenario; a missing scenario gets 1, 0 disables it. */
  weights?: Partial<Record<Scenario, number>>;
}

export interface LabelledRecord {
  record: AccessRecord;
  label: Label;
}

export const DEFAULT_START = Date.UTC(2024, 2, 1, 0, 0, 0);
export const DEFAULT_POPULATION = 1;
const HOUR = 3_600_000;

/** Peak-relative request rate over the day: highest mid-afternoon, lowest around 03:00 UTC. */
export function diurnalFactor(ts: number): number {
  const hour = (ts / HOUR) % 24;
  return 0.6 + 0.4 * Math.cos((2 * Math.PI * (hour - 15)) / 24);
}

/**
 * Normal shop traffic interleaved with incidents. Deterministic: the same options give the same records.
 * Each normal line may start an incident; the chances are set so that incidents fill about `anomalyRate`
 * of all lines, shared between scenarios by `weights`.
 */
export class TrafficModel {
  private readonly rng: Rng;
  private readonly normal: NormalTraffic;
  private readonly pools;
  private readonly rate: number;
  private readonly diurnal: boolean;
  private readonly actors: Actor[] = [];
  private window: Window | undefined;
  private nextNormalAt: number;
  private readonly scenarios: Scenario[];
  private readonly scenarioWeights: Float64Array;
  private readonly startChance: number;

  constructor(opts: TrafficOptions = {}) {
    const seed = opts.seed ?? 1;
    const anomalyRate = opts.anomalyRate ?? 0.02;
    this.rng = new Rng(seed);
    this.pools = buildPools(opts.population ?? DEFAULT_POPULATION);
    this.normal = new NormalTraffic(this.rng, this.pools);
    this.rate = opts.rate ?? 40;
    this.diurnal = opts.diurnal ?? true;
    this.nextNormalAt = opts.start ?? DEFAULT_START;

    // Chance per normal line that scenario k starts: its share of anomalous lines over its mean size in lines.
    const meanRate = this.rate * (this.diurnal ? 0.6 : 1);
    const meanLines = (s: Scenario) => {
      const [lo, hi] = ACTOR_REQUESTS[s] ?? WINDOW_SECONDS[s].map((sec) => sec * meanRate);
      return (lo + hi) / 2;
    };
    const weight = (s: Scenario) => opts.weights?.[s] ?? (OFF_BY_DEFAULT.includes(s) ? 0 : 1);
    this.scenarios = SCENARIOS.filter((s) => weight(s) > 0);
    const total = this.scenarios.reduce((sum, s) => sum + weight(s), 0);
    const chances = this.scenarios.map((s) => (anomalyRate * (weight(s) / total)) / ((1 - anomalyRate) * meanLines(s)));
    this.scenarioWeights = cumulative(chances);
    this.startChance = chances.reduce((a, b) => a + b, 0);
  }

  next(): LabelledRecord {
    for (;;) {
      const actor = this.earliestActor();
      if (actor && actor.nextAt <= this.nextNormalAt) {
        const ts = actor.nextAt;
        const req = actor.next();
        if (req) return { record: Object.assign(req, { ts }), label: actor.scenario };
        this.actors.splice(this.actors.indexOf(actor), 1);
        continue;
      }
      return this.nextNormal();
    }
  }

  private nextNormal(): LabelledRecord {
    const ts = this.nextNormalAt;
    this.nextNormalAt += this.rng.exponential(1000 / (this.diurnal ? this.rate * diurnalFactor(ts) : this.rate));
    const record = this.normal.next(ts);
    let label: Label = 'normal';
    if (this.window && ts >= this.window.end) this.window = undefined;
    if (this.window) {
      this.window.apply(record);
      label = this.window.scenario;
    }
    if (this.rng.next() < this.startChance) this.startIncident(ts);
    return { record, label };
  }

  private startIncident(ts: number): void {
    const scenario = this.scenarios[this.rng.weighted(this.scenarioWeights)];
    if (WINDOW_SCENARIOS.includes(scenario)) {
      if (!this.window) this.window = startWindow(scenario, this.rng, ts + 1);
    } else {
      this.actors.push(startActor(scenario, this.rng, this.pools, ts + this.rng.int(1, 500)));
    }
  }

  /** The time-window incident in progress, if any. */
  activeWindow(): Window | undefined {
    return this.window;
  }

  private earliestActor(): Actor | undefined {
    let best: Actor | undefined;
    for (const a of this.actors) if (!best || a.nextAt < best.nextAt) best = a;
    return best;
  }
}
