import { describe, expect, it } from 'vitest';
import { createScorer, train } from '../pipeline/index.js';
import type { TemplateStats } from '../templates/profile.js';
import { episodeOf, episodeReason, EpisodeTracker } from './episode.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const stats = (n: number, span: number) => ({ n, span }) as TemplateStats;

describe('episodes', () => {
  it('are templates of 10 lines or more, all within 1% of a training span of 6 hours or more', () => {
    expect(episodeOf(stats(60, 6 * HOUR), 214 * DAY)).toEqual({
      lines: 60,
      spanMs: 6 * HOUR,
      trainingSpanMs: 214 * DAY,
    });
    expect(episodeOf(stats(9, 1000), 214 * DAY)).toBeUndefined();
    expect(episodeOf(stats(60, 3 * DAY), 214 * DAY)).toBeUndefined();
    expect(episodeOf(stats(60, 1000), 5 * HOUR)).toBeUndefined();
    // No times in training, or a model from before spans were kept.
    expect(episodeOf({ n: 60 } as TemplateStats, 214 * DAY)).toBeUndefined();
    expect(episodeOf(stats(60, 1000), undefined)).toBeUndefined();
    expect(episodeReason({ lines: 23, spanMs: 2000, trainingSpanMs: 43 * DAY })).toBe(
      "start of an episode: training saw this template's 23 lines within 2 s of its 43 days",
    );
  });

  it("start with a template's first line, and again after a silence longer than the episode and 1% of training", () => {
    const shape = { lines: 60, spanMs: HOUR, trainingSpanMs: 200 * DAY };
    const tracker = new EpisodeTracker(new Map([[1, shape]]));
    const t0 = Date.UTC(2024, 2, 1);
    expect(tracker.onset(1, t0)).toBe(shape);
    expect(tracker.onset(1, t0 + HOUR)).toBeUndefined();
    // 2 days later (1% of 200 days) is still the same episode; a day after that is a new one.
    expect(tracker.onset(1, t0 + HOUR + 2 * DAY)).toBeUndefined();
    expect(tracker.onset(1, t0 + HOUR + 4 * DAY + 1)).toBe(shape);
    // A line behind the others does not move the clock back; other templates and lines without time start nothing.
    expect(tracker.onset(1, t0)).toBeUndefined();
    expect(tracker.onset(2, t0)).toBeUndefined();
    expect(tracker.onset(1, undefined)).toBeUndefined();
  });

  it('flag the first line of a storm of trouble self-trained on a week of syslog, and none of its other lines', async () => {
    const lines: string[] = [];
    const at = (ms: number) => {
      const d = new Date(Date.UTC(2024, 2, 1) + ms);
      const mon = d.toUTCString().slice(8, 11);
      return `${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
    };
    for (let i = 0; i < 2000; i++) {
      const t = Math.floor((i * 7 * DAY) / 2000);
      lines.push(
        i % 3
          ? `${at(t)} combo sshd(pam_unix)[${1000 + i}]: session closed for user cyrus`
          : `${at(t)} combo crond[${2000 + i}]: (root) CMD (run-parts /etc/cron.hourly)`,
      );
    }
    // 23 `Kerberos authentication failed` in 2 s, on the fourth day (loghub Linux)
    const storm = Array.from(
      { length: 23 },
      (_, k) => `${at(3 * DAY + 1000 * (k % 3))} combo klogind[${9000 + k}]: Kerberos authentication failed`,
    );
    lines.splice(860, 0, ...storm);
    // and 20 lines of a routine-sounding INFO template within an hour of the sixth day: an episode, but no trouble
    const quiet = Array.from(
      { length: 20 },
      (_, k) => `${at(5 * DAY + 60_000 * k)} combo ntpd[${8000 + k}]: synchronized to pool, stratum 2`,
    );
    lines.splice(1500, 0, ...quiet);
    const model = await train(lines, { seed: 1 });
    const scorer = createScorer(model);
    const scored = [...scorer.pushBatch(lines), ...scorer.end()];
    const kerberos = scored.filter((s) => s.line.includes('Kerberos'));
    expect(kerberos[0].anomaly).toBe(true);
    expect(kerberos[0].reasons).toContain(
      "start of an episode: training saw this template's 23 lines within 2 s of its 7 days",
    );
    expect(kerberos.slice(1).filter((s) => s.anomaly)).toEqual([]);
    // The quiet episode is no alarm: its lines are INFO and say no trouble.
    expect(scored.filter((s) => s.anomaly && !s.line.includes('Kerberos'))).toEqual([]);
  });
});
