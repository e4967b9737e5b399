import { describe, expect, it } from 'vitest';
import type { DetectorKind } from '../types.js';
import { DEFAULT_THRESHOLDS, severityOf, watchLevel, type Thresholds } from './calibration.js';
import { combine, combinedScore, rescale, type MemberScore, type Signal, type SignalKind } from './ensemble.js';
import { mulberry32 } from './random.js';
import { NOVELTY_STRENGTH } from './novelty.js';

const t = DEFAULT_THRESHOLDS.ensemble;
const novelMix: Signal = {
  kind: 'novel-count-vector',
  strength: NOVELTY_STRENGTH.countVector,
  reason: 'new mix of known steps',
};
const novelTemplate: Signal = {
  kind: 'novel-template',
  strength: NOVELTY_STRENGTH.template,
  reason: 'new template never seen in training',
};
const fatal: Signal = { kind: 'error-level', strength: 0.9, reason: 'level FATAL' };

describe('ensemble.combine', () => {
  it('is normal when every member is', () => {
    const r = combine({
      members: [
        { name: 'iforest', score: 0.3 },
        { name: 'autoencoder', score: 0.2 },
      ],
      signals: [],
    });
    expect(severityOf(r.score, t)).toBe('normal');
    expect(r.fired).toEqual([]);
  });

  it('keeps a single confident member', () => {
    const r = combine({
      members: [
        { name: 'iforest', score: 0.9 },
        { name: 'autoencoder', score: 0.1 },
      ],
      signals: [],
    });
    expect(r.score).toBeCloseTo(0.9, 12);
    expect(r.fired).toEqual(['iforest']);
  });

  it('reads each member against its own thresholds', () => {
    // the autoencoder's medium is 0.60; on the ensemble's scale that is 0.65
    const r = combine({ members: [{ name: 'autoencoder', score: 0.6 }], signals: [] });
    expect(severityOf(r.score, t)).toBe('medium');
    const custom = combine({
      members: [{ name: 'x', score: 0.5, thresholds: { low: 0.2, medium: 0.5, high: 0.7, critical: 0.8 } }],
      signals: [],
    });
    expect(custom.score).toBeCloseTo(t.medium, 12);
  });

  it('lets novelty count on its own, and lifts a member that agrees by one band', () => {
    const template = combine({ members: [{ name: 'iforest', score: 0.1 }], signals: [novelTemplate] });
    expect(severityOf(template.score, t)).toBe('medium');
    expect(template.fired).toEqual(['novel-template']);
    // a new mix of known steps alone is only `watch` (below low), but raises the score
    const mix = combine({ members: [{ name: 'iforest', score: 0.1 }], signals: [novelMix] });
    expect(mix.score).toBeCloseTo(0.3, 12);
    expect(severityOf(mix.score, t)).toBe('normal');
    // with a member in its top 1% of training (watch = 0.25) it becomes an anomaly
    const watched = combine({ members: [{ name: 'iforest', score: 0.25 }], signals: [novelMix] });
    expect(severityOf(watched.score, t)).toBe('low');
    expect(watched.fired).toEqual(['iforest', 'novel-count-vector']);
    const agreed = combine({ members: [{ name: 'iforest', score: 0.5 }], signals: [novelMix] });
    expect(severityOf(agreed.score, t)).toBe('medium');
    expect(agreed.fired[0]).toBe('iforest');
  });

  it('counts strong rule evidence even when the detectors find the line ordinary', () => {
    const r = combine({
      members: [
        { name: 'iforest', score: 0.05 },
        { name: 'autoencoder', score: 0.05 },
      ],
      signals: [fatal],
    });
    expect(severityOf(r.score, t)).toBe('high');
    expect(r.fired).toEqual(['error-level']);
  });

  it('needs agreement for weak rule evidence, common on frequent normal lines', () => {
    const keyword: Signal = { kind: 'rule', strength: 0.5, reason: 'keyword: exception' };
    const alone = combine({
      members: [
        { name: 'iforest', score: 0.1 },
        { name: 'autoencoder', score: 0.1 },
      ],
      signals: [keyword],
    });
    expect(severityOf(alone.score, t)).toBe('normal');
    expect(alone.score).toBeCloseTo(0.125 + 0.2, 12); // the autoencoder 0.1 is 0.125 on this scale, lifted a band
    const agreed = combine({ members: [{ name: 'iforest', score: 0.3 }], signals: [keyword] });
    expect(severityOf(agreed.score, t)).toBe('low');
    expect(agreed.fired).toEqual(['iforest', 'rule']);
    // two different kinds of weak evidence agree with each other
    const shape: Signal = {
      kind: 'rule',
      strength: 0.5,
      reason: "step 'addStoredBlock' missing from the usual lifecycle",
    };
    const both = combine({ members: [{ name: 'iforest', score: 0.1 }], signals: [shape, novelMix] });
    expect(severityOf(both.score, t)).toBe('low');
    expect(both.fired.sort()).toEqual(['novel-count-vector', 'rule']);
    const sameKind = combine({
      members: [{ name: 'iforest', score: 0 }],
      signals: [shape, { ...shape, reason: 'keyword: error' }],
    });
    expect(severityOf(sameKind.score, t)).toBe('normal');
  });

  it('stays within [0, 1]', () => {
    expect(combine({ members: [{ name: 'iforest', score: 0.99 }], signals: [novelMix] }).score).toBe(1);
    expect(combine({ members: [], signals: [novelMix] }).score).toBeCloseTo(watchLevel(t), 12);
    expect(combine({ members: [], signals: [] }).score).toBe(0);
  });
});

/** The documented rule, written plainly: max(members, strong signals, min(weak, watch), the two lifts), in [0, 1]. */
function documentedScore(members: MemberScore[], signals: Signal[], t: Thresholds): number {
  const watch = watchLevel(t);
  const lift = t.medium - t.low;
  const own = (m: MemberScore) =>
    m.thresholds ?? (m.name in DEFAULT_THRESHOLDS ? DEFAULT_THRESHOLDS[m.name as DetectorKind] : t);
  const values = members.map((m) => rescale(m.score, own(m), t));
  let best = 0;
  let bestName = '';
  values.forEach((v, i) => {
    if (v > best) [best, bestName] = [v, members[i].name];
  });
  const weak = signals.filter((s) => s.strength < t.medium);
  const candidates = [
    ...values,
    ...signals.map((s) => (s.strength < t.medium ? Math.min(s.strength, watch) : s.strength)),
  ];
  if (weak.length && bestName) candidates.push(best + lift);
  if (new Set(weak.map((s) => s.kind)).size >= 2) candidates.push(watch + lift);
  return Math.min(1, Math.max(0, ...candidates));
}

describe('ensemble.combinedScore', () => {
  it('follows the documented rule for members and signals of every kind and strength, as combine does', () => {
    const random = mulberry32(7);
    const kinds: SignalKind[] = ['novel-template', 'novel-count-vector', 'out-of-range', 'rule', 'error-level'];
    const custom = { low: 0.2, medium: 0.5, high: 0.7, critical: 0.8 };
    const names = ['iforest', 'autoencoder', 'x', ''];
    const edges = [0, 0.25, t.low, t.medium, t.high, 1];
    const value = () => (random() < 0.3 ? edges[Math.floor(random() * edges.length)] : random());
    for (let i = 0; i < 5000; i++) {
      const members: MemberScore[] = Array.from({ length: Math.floor(random() * 3) }, () => {
        const name = names[Math.floor(random() * names.length)];
        return { name, score: value(), ...(name === 'x' ? { thresholds: custom } : {}) };
      });
      const signals: Signal[] = Array.from({ length: Math.floor(random() * 4) }, () => ({
        kind: kinds[Math.floor(random() * kinds.length)],
        strength: value(),
        reason: '',
      }));
      expect(combinedScore(members, signals, t)).toBe(documentedScore(members, signals, t));
      expect(combine({ members, signals }, t).score).toBe(combinedScore(members, signals, t));
    }
  });
});

describe('rescale', () => {
  it('maps thresholds onto thresholds, monotonically', () => {
    const from = DEFAULT_THRESHOLDS.autoencoder;
    for (const k of ['low', 'medium', 'high', 'critical'] as const)
      expect(rescale(from[k], from, t)).toBeCloseTo(t[k], 12);
    expect(rescale(watchLevel(from), from, t)).toBeCloseTo(watchLevel(t), 12);
    let previous = 0;
    for (let s = 0; s <= 1; s += 0.001) {
      expect(rescale(s, from, t)).toBeGreaterThanOrEqual(previous);
      previous = rescale(s, from, t);
    }
  });
});
