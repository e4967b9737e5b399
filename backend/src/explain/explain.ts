import type { Signal } from '../detectors/index.js';
import type { FeatureSchema } from '../features/schema.js';
import type { TemplateHit } from '../templates/template-index.js';
import { METHODS, WEB, type WebBaselineState } from '../features/web.js';
import type { FeatureStats } from '../features/index.js';
import type { ParsedLine } from '../types.js';
import { UA_CLASSES, uaToolName } from '../features/user-agent.js';
import { keywordWords } from '../features/keywords.js';
import { keywordReason } from './system-evidence.js';
import { clip } from '../parsing/text.js';

/** A detector's view of which features made a row anomalous. */
export type Attribution =
  /** Isolation Forest: each feature's share of the isolation (sums to 1). */
  | { kind: 'share'; values: ArrayLike<number> }
  /** Autoencoder: each feature's reconstruction error in units of its typical error. */
  | { kind: 'error'; values: ArrayLike<number> };

export interface ExplainInput {
  schema: FeatureSchema;
  stats: FeatureStats;
  web?: WebBaselineState;
  trainingLines: number;
  parsed: ParsedLine;
  hit: TemplateHit;
  row: ArrayLike<number>;
  /** Rule and novelty evidence; shown strongest first. */
  signals: readonly Signal[];
  /** Per feature, the training range (with margin) the novelty detector checks; out-of-range values are described. */
  ranges?: readonly { min: number; max: number }[];
  attributions: readonly Attribution[];
}

const MAX_ATTRIBUTED = 3;
const MIN_SHARE = 0.1;
const MIN_ERROR_RATIO = 3;
const MIN_DEVIATION = 2;

/** Reasons for one line, most important first, without repeats. */
export function explain(input: ExplainInput): string[] {
  const reasons: string[] = [];
  for (const s of [...input.signals].sort((a, b) => b.strength - a.strength)) {
    if (s.kind === 'out-of-range' && input.ranges) reasons.push(...outOfRange(input));
    else reasons.push(s.reason);
  }
  // A fact is stated once: when a rule or the forest has said it, the autoencoder only adds its figure to that reason.
  const at = new Map(reasons.map((text, i) => [text, i]));
  for (const a of input.attributions) {
    for (const f of topFeatures(a, input)) {
      const text = describeFeature(f, input);
      const figure = a.kind === 'error' ? autoencoderFigure(a.values[f]) : '';
      const i = at.get(text);
      if (i === undefined) {
        at.set(text, reasons.push(text + figure) - 1);
      } else if (figure && reasons[i] === text) {
        reasons[i] += figure;
      }
    }
  }
  if (reasons.length === 0) reasons.push(combination(input));
  return dedupe(reasons);
}

/** The reason of an anomaly whose values are each ordinary (mostly on little training data): they are unusual together. */
function combination(input: ExplainInput): string {
  const lead = input.attributions[0]?.values;
  if (!lead) return 'unusual combination of values';
  const top = input.schema.names.reduce((best, _, f) => (lead[f] > lead[best] ? f : best), 0);
  return `unusual combination of values, led by ${describeFeature(top, input)}`;
}

/** Out-of-range features in words, furthest out first. */
function outOfRange(input: ExplainInput): string[] {
  const { row, ranges } = input;
  const beyond = (f: number) => {
    const r = ranges![f];
    return (row[f] > r.max ? row[f] - r.max : r.min - row[f]) / Math.max(r.max - r.min, 1e-9);
  };
  return ranges!
    .map((_, f) => f)
    .filter((f) => beyond(f) > 0 && !SAID_BY_SIGNALS.test(input.schema.names[f]))
    .sort((a, b) => beyond(b) - beyond(a))
    .map((f) => describeFeature(f, input));
}

/** Features whose evidence the rule and novelty signals already state in their own words. */
const SAID_BY_SIGNALS = /^(?:attack_|kw_|template_novel$|level$)/;

/** Features the detector leans on most whose value is also unusual against the training rows. */
function topFeatures(a: Attribution, input: ExplainInput): number[] {
  const { names } = input.schema;
  const order = names.map((_, i) => i).sort((x, y) => a.values[y] - a.values[x]);
  const min = a.kind === 'share' ? MIN_SHARE : MIN_ERROR_RATIO;
  return order
    .filter((f) => a.values[f] >= min && !SAID_BY_SIGNALS.test(names[f]) && isUnusual(f, input))
    .slice(0, MAX_ATTRIBUTED);
}

function isUnusual(f: number, { row, stats }: ExplainInput): boolean {
  const v = row[f];
  if (v < stats.min[f] || v > stats.max[f]) return true;
  return Math.abs(v - stats.mean[f]) / Math.max(stats.std[f], 1e-9) >= MIN_DEVIATION;
}

/** What a feature's value means, in words. */
export function describeFeature(f: number, input: ExplainInput): string {
  const { schema, row, stats, parsed, hit } = input;
  const name = schema.names[f];
  const v = row[f];
  const typical = fmt(stats.mean[f]);
  const client = parsed.fields.ip ?? 'client';
  switch (schema.family === 'web' || schema.kinds[f] === 'numeric' ? name : `system:${name}`) {
    case 'status_class':
      return `HTTP ${v}xx`;
    case 'bytes_z':
      return `bytes ${fmt(Math.abs(v))}σ ${v >= 0 ? 'above' : 'below'} ${hit.template.replace(/^\S+ /, '')} baseline`;
    case 'rt_z':
      return `response time ${fmt(Math.abs(v))}σ ${v >= 0 ? 'above' : 'below'} ${hit.template.replace(/^\S+ /, '')} baseline`;
    case 'path_depth':
      return `path ${v} levels deep (typical ${typical})`;
    case 'path_length':
      return `path of ${v} characters (typical ${typical})`;
    case 'query_length':
      return `query of ${v} characters (typical ${typical})`;
    case 'special_chars':
      return `${v} special characters in the request`;
    case 'method':
      return `unusual method ${METHODS[v] ?? parsed.fields.method ?? '?'}`;
    case 'ua_class': {
      const cls = UA_CLASSES[v] ?? 'other';
      return cls === 'tool' ? `scanner or tool user agent: ${uaToolName(parsed.fields.ua ?? '')}` : `${cls} user agent`;
    }
    case 'template_rarity':
    case 'system:template_rarity':
      if (hit.count > 0)
        return `rare template "${hit.template}" (${hit.count} of ${input.trainingLines} training lines)`;
      // features/web.ts: a new page read as pages are is not novel
      return schema.family === 'web' && row[WEB.template_novel] === 0
        ? `new page "${clip(hit.template, 80)}", read and answered as pages are`
        : 'new template never seen in training';
    case 'template_novel':
    case 'system:template_novel':
      return 'new template never seen in training';
    case 'client_rate': {
      const base = input.web?.clientRate ?? 1;
      const perMinute = (Math.pow(2, v) - 1) * base;
      return `client ${client} sent ${fmt(perMinute)} requests/min, ${fmt(perMinute / base)}× the typical client's rate`;
    }
    case 'client_errors': {
      const errors = fmt(Math.pow(2, v) - 1);
      return `client ${client} got ${errors} error response${errors === '1' ? '' : 's'} in the last minute`;
    }
    case 'system:level':
      return `level ${(parsed.level ?? '?').toUpperCase()}`;
    case 'system:message_length':
    case 'system:message_length_bin':
      return `message of ${parsed.message.length} characters (typical ${fmt(Math.pow(2, stats.mean[f]) - 1)})`;
    default:
      if (name.startsWith('kw_')) return keywordReason(keywordWords(parsed.message));
      if (name === 'param_count') return `${v} parameter${v === 1 ? '' : 's'} (typical ${typical})`;
      if (name.startsWith('param_')) return `${v} ${name.slice(6)} parameters (typical ${typical})`;
      return `${name} = ${fmt(v)} (training mean ${typical}, range ${fmt(stats.min[f])}..${fmt(stats.max[f])})`;
  }
}

/**
 * What the autoencoder found, in words: how far the value is from the pattern it learnt. Its error ratio (often in
 * the thousands for a value never seen) is an internal figure; the words carry its order of magnitude.
 */
function autoencoderFigure(ratio: number): string {
  if (ratio >= 100) return ', far outside the learned pattern';
  if (ratio >= 10) return ', well outside the learned pattern';
  return ', outside the learned pattern';
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 100 || Number.isInteger(x)
    ? String(Math.round(x))
    : a >= 10
      ? x.toFixed(0)
      : x.toFixed(1).replace(/\.0$/, '');
}

function dedupe(reasons: string[]): string[] {
  return [...new Set(reasons)];
}
