import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { fail } from '../http.js';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface Job {
  id: string;
  kind: string;
  state: JobState;
  /** 0..1 */
  progress: number;
  phase: string;
  createdAt: string;
  finishedAt?: string;
  error?: string;
  result?: unknown;
}

export type ReportProgress = (progress: number, phase: string) => void;

/** Jobs that may wait or run at once; one more is refused with 429. */
export const MAX_PENDING_JOBS = 4;
/** Finished jobs remembered (the oldest are forgotten first). */
const MAX_FINISHED_JOBS = 100;

/**
 * Background jobs, run one at a time (training takes the CPU). At most MAX_PENDING_JOBS queued or running: one more
 * is a 429 (the client retries later). Finished jobs are kept, the last MAX_FINISHED_JOBS.
 */
export class JobQueue {
  private readonly jobs = new Map<string, Job>();
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: Logger,
    private readonly maxPending = MAX_PENDING_JOBS,
  ) {}

  start(kind: string, run: (report: ReportProgress) => Promise<unknown>): Job {
    const pending = [...this.jobs.values()].filter((j) => j.state === 'queued' || j.state === 'running').length;
    if (pending >= this.maxPending)
      fail(429, `${pending} jobs are queued or running (the limit): try again when one has finished`);
    const finished = [...this.jobs.values()].filter((j) => j.finishedAt);
    for (const old of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED_JOBS + 1))) this.jobs.delete(old.id);
    const createdAt = new Date().toISOString();
    const job: Job = { id: randomUUID(), kind, state: 'queued', progress: 0, phase: 'queued', createdAt };
    this.jobs.set(job.id, job);
    const report: ReportProgress = (progress, phase) => {
      job.progress = Math.min(1, Math.max(job.progress, progress));
      job.phase = phase;
    };
    this.tail = this.tail.then(async () => {
      job.state = 'running';
      try {
        job.result = await run(report);
        Object.assign(job, { state: 'succeeded', progress: 1, phase: 'done' });
      } catch (err) {
        Object.assign(job, { state: 'failed', phase: 'failed', error: (err as Error).message });
        this.log.warn({ job: job.id, kind, err: (err as Error).message }, 'job failed');
      }
      job.finishedAt = new Date().toISOString();
    });
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  list(): Job[] {
    return [...this.jobs.values()];
  }
}

export function jobRoutes(jobs: JobQueue): Hono {
  return new Hono()
    .get('/jobs', (c) => c.json({ jobs: jobs.list() }))
    .get('/jobs/:id', (c) => {
      const job = jobs.get(c.req.param('id'));
      if (!job) fail(404, 'no such job');
      return c.json(job);
    });
}
