import { PipelineInputError, type BatchScorer } from '../../pipeline/index.js';
import { ANOMALY_SEVERITIES, type DetectorKind, type ScoredLine, type Severity } from '../../types.js';
import type { AppContext } from '../../service/context.js';
import { fail } from '../http.js';
import { NoModelError } from '../../service/registry.js';

export interface ScoreTarget {
  labels?: Record<string, string>;
  model?: string;
  detector?: DetectorKind;
}

/** A scorer for a request: 404 for an unknown model, 400 when the model cannot score with that detector. */
export function openScorer(ctx: AppContext, target: ScoreTarget): BatchScorer {
  try {
    return ctx.models.scorerFor(target.labels ?? {}, target.detector, target.model);
  } catch (err) {
    if (err instanceof NoModelError) fail(404, err.message);
    if (err instanceof PipelineInputError) fail(400, err.message);
    throw err;
  }
}

const SEVERITIES: readonly Severity[] = ['normal', ...ANOMALY_SEVERITIES];

/** `?severity=` as a set: absent = all, `anomaly` = all but normal, else a comma-separated list. */
export function severitySet(param: string | undefined): Set<Severity> {
  if (!param) return new Set(SEVERITIES);
  if (param === 'anomaly') return new Set(ANOMALY_SEVERITIES);
  return new Set(param.split(',') as Severity[]);
}

export const SEVERITY_PARAM = /^(anomaly|(normal|low|medium|high|critical)(,(normal|low|medium|high|critical))*)$/;
