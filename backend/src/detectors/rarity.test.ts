import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../test/fixtures/datasets.js';
import { createScorer, train } from '../pipeline/index.js';
import type { TemplateProfileState } from '../templates/profile.js';
import { DEFAULT_THRESHOLDS } from './calibration.js';
import { Rarity, templateBits } from './rarity.js';

/** A syslog stream of a few routine templates, 2,000 lines. */
function syslog(n = 2000): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = `Jun ${String(14 + Math.floor(i / 1000)).padStart(2, ' ')} ${String(Math.floor(i / 60) % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00`;
    const k = i % 4;
    out.push(
      k === 0
        ? `${t} combo sshd(pam_unix)[${19000 + i}]: session opened for user cyrus by (uid=0)`
        : k === 1
          ? `${t} combo sshd(pam_unix)[${19000 + i}]: session closed for user cyrus`
          : k === 2
            ? `${t} combo ftpd[${20000 + i}]: connection from 10.0.${i % 200}.${i % 250} () at Fri Jun 17 20:55:07 2005`
            : `${t} combo su(pam_unix)[${21000 + i}]: session opened for user news by (uid=${i % 3 === 0 ? 0 : 0})`,
    );
  }
  return out;
}

async function selfTrained(lines: string[]) {
  const model = await train(lines, { seed: 1 });
  const scorer = createScorer(model);
  return [...scorer.pushBatch(lines), ...scorer.end()];
}

describe('gross outliers, self-trained', () => {
  it('flags a 5 MB line, a 10 KB `word word ...` line and binary content, each with a reason in words', async () => {
    const lines = syslog();
    lines.splice(700, 0, `Jun 14 11:40:59 combo kernel: ${'x'.repeat(5_000_000)}`);
    lines.splice(1400, 0, `Jun 14 23:20:00 combo kernel: ${Array(2000).fill('word').join(' ')}`);
    lines.splice(
      1800,
      0,
      `Jun 15 06:00:01 combo kernel: ${Array.from({ length: 300 }, (_, i) => String.fromCharCode(i % 32)).join('')}`,
    );
    const scored = await selfTrained(lines);
    for (const i of [700, 1400, 1800]) expect(scored[i].anomaly).toBe(true);
    expect(scored[700].reasons[0]).toMatch(
      /^line of 5,000,030 characters, far longer than this stream's lines \(typical \d+, 99.9% under \d+\)$/,
    );
    expect(
      scored[1400].reasons.some((r) => /^line of 10,029 characters, far longer than this stream's lines/.test(r)),
    ).toBe(true);
    // graded by how far past the stream's lines: 5 MB is critical, 10 KB an anomaly under it
    expect(scored[700].severity).toBe('critical');
    expect(scored[1400].score).toBeLessThan(scored[700].score);
    expect(scored[1800].reasons[0]).toMatch(/^binary or non-printable content \(\d+% of the characters\)$/);
    expect(scored.filter((s) => s.anomaly).length).toBeLessThanOrEqual(3 + Math.ceil(0.015 * lines.length));
  });

  it("flags a message far outside its template's usual length", async () => {
    const lines = syslog();
    lines[1002] = lines[1002].replace(/from \S+ \(\)/, `from 10.0.0.1 (${'h'.repeat(400)}.example.com)`);
    expect(lines[1002]).toContain('hhhh');
    const scored = await selfTrained(lines);
    expect(scored[1002].anomaly).toBe(true);
    expect(
      scored[1002].reasons.some((r) =>
        /^message of \d+ characters, far longer than this template's usual \d+$/.test(r),
      ),
    ).toBe(true);
    expect(scored[1002].reasons.filter((r) => r.includes('rare template'))).toHaveLength(0);
  });
});

describe('message lengths of a template of two shapes', () => {
  it('reads both lengths as routine when several training lines have each (a step and its exit, one template)', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 180; i++) {
      const t = `2024-03-01 10:${String(Math.floor(i / 10)).padStart(2, '0')}:${String((i % 10) * 6).padStart(2, '0')},000`;
      const path = `C:\\Windows\\WinSxS\\x86_dual_${'driver'.repeat(8 + (i % 3))}.inf_31bf3856ad364e35\\d${i}.inf`;
      const stage = i % 15 === 0 ? `Stage Driver Package: ${i % 30 === 0 ? path : `exit(0x0000000${i % 4})`}` : '';
      lines.push(`${t} INFO [setup] com.x.Setup: ${stage || `invalid checksum on packet ${i % 7}`}`);
    }
    const scored = await selfTrained(lines);
    const stages = scored.filter((s) => s.line.includes('Stage Driver Package'));
    expect(new Set(stages.map((s) => s.template))).toEqual(new Set(['Stage Driver Package: <*>']));
    expect(stages.flatMap((s) => s.reasons).filter((r) => r.startsWith('message of'))).toEqual([]);
  });
});

describe('rare parameter values and routine levels', () => {
  it('reads a value rare for a parameter that usually takes one value, and not a routine ERROR line', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = `2024-03-01 12:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')},000`;
      lines.push(
        i % 2
          ? `${t} INFO [main] com.x.Job: worker exited with status 0 after 3 tries`
          : `${t} ERROR [db] com.x.Db: pool exhausted, ${i % 7} waiting`,
      );
    }
    // Alone, a value seen once in the 1,000 lines of its template is 10.4 bits with the template's: just under the
    // flag of a 2,000-line file (10.5). It ranks first among those lines; with a WARN, unusual too, it is an anomaly.
    lines[1501] = lines[1501].replace('status 0', 'status 137');
    lines[1701] = lines[1701].replace('status 0', 'status 143').replace(' INFO ', ' WARN ');
    const scored = await selfTrained(lines);
    const others = scored.filter((s, i) => i !== 1501 && i !== 1701 && s.line.includes('worker exited'));
    expect(Math.max(...others.map((s) => s.score))).toBeLessThan(scored[1501].score);
    expect(scored[1701].anomaly).toBe(true);
    expect(scored[1701].reasons).toContain(
      'value "143" is rare for this template (1 of 1,000 in training; usually "0", 998 times)',
    );
    expect(scored.filter((s) => s.anomaly && s.line.includes('ERROR'))).toHaveLength(0);
  });

  it('weighs a FATAL line more whatever its template: a template 6 times in 2,000 lines is flagged at FATAL, not at INFO', async () => {
    const stream = (level: string) => {
      const lines: string[] = [];
      for (let i = 0; i < 2000; i++) {
        const t = `2024-03-01 ${String(Math.floor(i / 60) % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00,000`;
        lines.push(
          i % 333 === 7
            ? `${t} ${level} [cron] com.x.Rotate: rotation exited abnormally`
            : i % 50 === 9
              ? `${t} FATAL [gc] com.x.Heap: heap nearly full`
              : `${t} INFO [main] com.x.Job: worker ${i % 5} exited with status 0`,
        );
      }
      return lines;
    };
    const fatal = (await selfTrained(stream('FATAL'))).filter((s) => s.line.includes('rotation'));
    expect(fatal).toHaveLength(6);
    for (const s of fatal) {
      expect(s.anomaly).toBe(true);
      expect(s.reasons).toContain('FATAL-level line (usual for this template: 6 of 6 in training)');
    }
    const info = (await selfTrained(stream('INFO'))).filter((s) => s.line.includes('rotation'));
    expect(info.filter((s) => s.anomaly)).toEqual([]);
    // A template FATAL in 40 lines of 2,000 is routine: not flagged.
    expect((await selfTrained(stream('INFO'))).filter((s) => s.anomaly && s.line.includes('heap'))).toEqual([]);
  });

  it("ranks a small file's lines seen once above a FATAL template that holds a large share of it", async () => {
    // loghub Linux lines 501-750: four days of syslog, a daily `logrotate: ALERT exited abnormally` (FATAL, 4 lines)
    const linux = readFileSync(join(DATASETS, 'loghub_2k/Linux/Linux_2k.log'), 'utf8').split('\n').filter(Boolean);
    const scored = await selfTrained(linux.slice(500, 750));
    const daily = scored.filter((s) => s.line.includes('logrotate: ALERT exited abnormally'));
    expect(daily).toHaveLength(4);
    for (const once of ['cupsd shutdown succeeded', 'cupsd startup succeeded']) {
      const line = scored.find((s) => s.line.includes(`cups: ${once}`))!;
      expect(line.score).toBeGreaterThan(Math.max(...daily.map((s) => s.score)));
    }
  });

  it('does not weigh FATAL where it is routine (1 line in 5): a template seen 4 times is not flagged, one seen once is', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = `2024-03-01 ${String(Math.floor(i / 60) % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00,000`;
      lines.push(
        i === 1234
          ? `${t} INFO [main] com.x.Net: link retrained on port 7`
          : i % 500 === 11
            ? `${t} FATAL [main] com.x.Cpu: machine check on core ${i % 7}`
            : i % 5 === 0
              ? `${t} FATAL [main] com.x.Job: job ${i} killed by the scheduler`
              : `${t} INFO [main] com.x.Job: worker ${i % 5} exited with status 0`,
      );
    }
    const scored = await selfTrained(lines);
    const once = scored[1234];
    const fatal = scored.filter((s) => s.line.includes('machine check'));
    expect(fatal).toHaveLength(4);
    expect(once.anomaly).toBe(true);
    // FATAL says nothing here: a template seen 4 times in 2,000 lines is not flagged, as it is not at INFO.
    for (const s of fatal) {
      expect(s.anomaly).toBe(false);
      expect(once.score).toBeGreaterThan(s.score);
    }
  });
});

describe('the alarm budget of a small file', () => {
  it('flags three lines seen once in 150, where 1.5% of the lines leaves two and a tie none', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 150; i++) {
      const t = `2024-03-01 10:${String(Math.floor(i / 10)).padStart(2, '0')}:${String((i % 10) * 6).padStart(2, '0')},000`;
      const once = { 40: 'router backdoor used', 80: 'trojan checked in', 120: 'worm spreading over RDP' }[i];
      lines.push(`${t} INFO [ids] com.x.Alert: ${once ?? `invalid checksum on packet ${i % 7}`}`);
    }
    const flagged = (await selfTrained(lines)).filter((s) => s.anomaly).map((s) => s.line.slice(48));
    expect(flagged).toEqual(['router backdoor used', 'trojan checked in', 'worm spreading over RDP']);
  });
});

describe('the score below the flag', () => {
  it('puts a template seen once in 2,000 lines just under the flag, even where rare FATAL lines raise the cut', () => {
    // loghub BGL: 347 FATAL lines in 2,000 put the cut at 17.8 bits
    const rarity = Rarity.fromJSON({ version: 1, profile: { lines: 2000 } as TemplateProfileState, lowBits: 17.8 });
    const { low } = DEFAULT_THRESHOLDS.ensemble;
    const once = rarity.scoreOf(templateBits(1, 2000));
    // above any member's score below the flag (scaled to at most 0.98 x low by the scorer)
    expect(once).toBeGreaterThan(0.98 * low);
    expect(once).toBeLessThan(rarity.scoreOf(12));
    expect(rarity.scoreOf(12)).toBeLessThan(low);
    expect(rarity.scoreOf(templateBits(4, 2000))).toBeLessThan(once);
    expect(rarity.scoreOf(17.9)).toBeGreaterThan(low);
  });

  it('lets the members order the lines rarity scores alike, and never up to the flag', async () => {
    // loghub Linux: 2,000 real lines, dozens of templates seen once, most of them under the flag
    const lines = readFileSync(join(DATASETS, 'loghub_2k/Linux/Linux_2k.log'), 'utf8').split('\n').filter(Boolean);
    const model = await train(lines, { seed: 1 });
    const scored = createScorer(model).pushBatch(lines);
    const count = new Map<string, number>();
    for (const s of scored) count.set(s.template, (count.get(s.template) ?? 0) + 1);
    const once = scored.filter((s) => count.get(s.template) === 1 && !s.anomaly).map((s) => s.score);
    const { low } = DEFAULT_THRESHOLDS.ensemble;
    expect(once.length).toBeGreaterThan(10);
    expect(new Set(once.map((x) => x.toFixed(4))).size).toBeGreaterThan(3);
    expect(Math.max(...once)).toBeLessThan(low);
    expect(Math.min(...once)).toBeGreaterThanOrEqual(0.99 * low - 1e-4);
  });
});
