import { SessionVectorizer, type Session } from '../backend/src/features/session.js';
import { severityRank, type DetectorKind, type Severity } from '@anomalog/contract';
import { Autoencoder, type Progress } from '../backend/src/detectors/autoencoder.js';
import { fitAutoencoder } from '../backend/src/detectors/autoencoder-train.js';
import {
  calibrate,
  DEFAULT_THRESHOLDS,
  fitCalibration,
  severityOf,
  type Calibration,
  type CalibrationOptions,
} from '../backend/src/detectors/calibration.js';
import { combine } from '../backend/src/detectors/ensemble.js';
import { IsolationForest } from '../backend/src/detectors/isolation-forest.js';
import { Novelty } from '../backend/src/detectors/novelty.js';

/**
 * The session detectors (count vectors, Isolation Forest, autoencoder, novelty, ensemble) on event sequences, for
 * benchmarks and tests that measure detection quality on labelled sessions. This is not the pipeline: it calibrates
 * on the training sessions themselves (the pipeline holds out strided rows) and adds no session findings (lifecycle
 * shape rules). `bench/hdfs.bench.ts` measures the pipeline end to end beside it.
 */

/**
 * Calibration rates of the session-path evaluation: 1 in 1,000 normal training sessions reaches `low`, the anomaly
 * flag. The line pipeline is stricter (pipeline/train.ts CALIBRATION, 1 in 2,000), since it also adds rule signals.
 */
export const SESSION_CALIBRATION: CalibrationOptions = { mediumRate: 0.0005, lowRate: 0.001 };

export interface SessionDetectors {
  vectorizer: SessionVectorizer;
  iforest: IsolationForest;
  autoencoder: Autoencoder;
  calibration: Record<'iforest' | 'autoencoder', Calibration>;
  novelty: Novelty;
}

export async function fitSessionDetectors(
  train: readonly Session[],
  opts: { seed: number; epochs?: number; calibration?: CalibrationOptions; onProgress?: (p: Progress) => void },
): Promise<SessionDetectors> {
  const rates = opts.calibration ?? SESSION_CALIBRATION;
  const vectorizer = SessionVectorizer.fit(train);
  const X = vectorizer.transformAll(train);
  const iforest = IsolationForest.fit(X, { seed: opts.seed });
  const autoencoder = await fitAutoencoder(X, opts);
  return {
    vectorizer,
    iforest,
    autoencoder,
    calibration: {
      iforest: fitCalibration(iforest.scoreMatrix(X), DEFAULT_THRESHOLDS.iforest, rates),
      autoencoder: fitCalibration(autoencoder.scoreMatrix(X), DEFAULT_THRESHOLDS.autoencoder, rates),
    },
    novelty: Novelty.fit({ sessions: train }),
  };
}

/** Severity of each session under each detector; `novelty` is the novelty signals alone (any signal = low or more). */
export type SessionVerdicts = Record<DetectorKind | 'novelty', Severity[]>;

export function scoreSessions(d: SessionDetectors, sessions: readonly Session[]): SessionVerdicts {
  const X = d.vectorizer.transformAll(sessions);
  const forest = d.iforest.scoreMatrix(X).map((r) => calibrate(r, d.calibration.iforest));
  const ae = d.autoencoder.scoreMatrix(X).map((r) => calibrate(r, d.calibration.autoencoder));
  const out: SessionVerdicts = { iforest: [], autoencoder: [], novelty: [], ensemble: [] };
  sessions.forEach((s, i) => {
    const signals = d.novelty.check({ session: s });
    const members = [
      { name: 'iforest', score: forest[i] },
      { name: 'autoencoder', score: ae[i] },
    ];
    out.iforest.push(severityOf(forest[i], DEFAULT_THRESHOLDS.iforest));
    out.autoencoder.push(severityOf(ae[i], DEFAULT_THRESHOLDS.autoencoder));
    out.novelty.push(signals.length ? 'low' : 'normal');
    out.ensemble.push(severityOf(combine({ members, signals }).score, DEFAULT_THRESHOLDS.ensemble));
  });
  return out;
}

export interface DetectionQuality {
  tpr: number;
  fpr: number;
  /** F1 on the test mix as given. */
  f1: number;
  /** Precision and F1 when anomalies make up `baseRate` of the traffic (TPR and FPR reweighted). */
  precisionAtBase: number;
  f1AtBase: number;
}

/** Quality of the verdict "anomaly" (severity at least `atLeast`; `low` is ScoredLine.anomaly) on labelled items. */
export function detectionQuality(
  normal: readonly Severity[],
  anomalous: readonly Severity[],
  baseRate: number,
  atLeast: Severity = 'low',
): DetectionQuality {
  const flagged = (s: Severity) => severityRank(s) >= severityRank(atLeast);
  const tp = anomalous.filter(flagged).length;
  const fp = normal.filter(flagged).length;
  const tpr = tp / Math.max(1, anomalous.length);
  const fpr = fp / Math.max(1, normal.length);
  const f1Of = (p: number) => (p + tpr > 0 ? (2 * p * tpr) / (p + tpr) : 0);
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const weighted = tpr * baseRate + fpr * (1 - baseRate);
  const precisionAtBase = weighted > 0 ? (tpr * baseRate) / weighted : 0;
  return { tpr, fpr, f1: f1Of(precision), precisionAtBase, f1AtBase: f1Of(precisionAtBase) };
}
