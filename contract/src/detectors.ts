import type { Thresholds } from './severity.js';

export const DETECTOR_KINDS = ['iforest', 'autoencoder', 'ensemble'] as const;
export type DetectorKind = (typeof DETECTOR_KINDS)[number];

/** The detectors an ensemble combines. */
export const MEMBER_KINDS = ['iforest', 'autoencoder'] as const;
export type MemberKind = (typeof MEMBER_KINDS)[number];

export function isDetectorKind(value: unknown): value is DetectorKind {
  return typeof value === 'string' && (DETECTOR_KINDS as readonly string[]).includes(value);
}

/** Severity thresholds on the calibrated score, per detector (configurable in anomalog.yaml); the ensemble uses the Isolation Forest's (docs/detectors.md). */
export const DEFAULT_THRESHOLDS: Record<DetectorKind, Thresholds> = {
  iforest: { low: 0.45, medium: 0.65, high: 0.85, critical: 0.95 },
  autoencoder: { low: 0.4, medium: 0.6, high: 0.75, critical: 0.9 },
  ensemble: { low: 0.45, medium: 0.65, high: 0.85, critical: 0.95 },
};
