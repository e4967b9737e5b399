/** Incidents the web app can be put into for a while (the traffic driver's time-window scenarios). */
export const FAULTS = ['outage_5xx', 'latency_spike', 'db_error_storm'] as const;
export type Fault = (typeof FAULTS)[number];

export class Faults {
  private readonly until = new Map<Fault, number>();

  start(fault: Fault, seconds: number): void {
    this.until.set(fault, Date.now() + seconds * 1000);
  }

  active(fault: Fault): boolean {
    return (this.until.get(fault) ?? 0) > Date.now();
  }
}
