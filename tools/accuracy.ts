import { readFileSync } from 'node:fs';
import { createParser } from '../backend/src/parsing/index.js';
import { splitCsv } from '../backend/src/parsing/csv.js';
import type { FormatName } from '../backend/src/types.js';
import { Drain, type DrainOptions } from '../backend/src/templates/drain.js';

/**
 * Loghub's grouping accuracy: the share of lines whose predicted group holds exactly the lines of their
 * ground-truth group (Zhu et al., ICSE-SEIP 2019).
 */
export function groupingAccuracy(predicted: readonly (string | number)[], truth: readonly string[]): number {
  if (predicted.length !== truth.length) throw new Error(`${predicted.length} predictions for ${truth.length} lines`);
  if (truth.length === 0) return 1;
  const truthSize = new Map<string, number>();
  for (const t of truth) truthSize.set(t, (truthSize.get(t) ?? 0) + 1);
  const groups = new Map<string | number, number[]>();
  predicted.forEach((p, i) => (groups.get(p) ?? groups.set(p, []).get(p)!).push(i));
  let correct = 0;
  for (const lines of groups.values()) {
    const event = truth[lines[0]];
    if (lines.every((i) => truth[i] === event) && truthSize.get(event) === lines.length) correct += lines.length;
  }
  return correct / truth.length;
}

export interface LoghubResult {
  accuracy: number;
  templates: number;
  truthTemplates: number;
}

/**
 * Mines templates from a loghub sample (`<name>.log`, parsed with `format`) and scores the grouping against the
 * EventId column of its structured CSV (`<name>.log_structured.csv` or the corrected one).
 */
export function loghubAccuracy(
  logPath: string,
  structuredCsvPath: string,
  format: FormatName = 'hdfs',
  options?: DrainOptions,
): LoghubResult {
  const lines = readFileSync(logPath, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const rows = readFileSync(structuredCsvPath, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const header = splitCsv(rows[0].trimEnd()) ?? [];
  const column = header.indexOf('EventId');
  if (column < 0) throw new Error(`${structuredCsvPath}: no EventId column`);
  const truth = rows.slice(1).map((r, i) => {
    const event = splitCsv(r.trimEnd())?.[column];
    if (event === undefined) throw new Error(`${structuredCsvPath}: row ${i + 2} has no EventId`);
    return event;
  });
  const parser = createParser(format);
  const drain = new Drain(options);
  const predicted = lines.map((l) => drain.add(parser.parse(l).message).id).map((id) => drain.resolve(id));
  return {
    accuracy: groupingAccuracy(predicted, truth),
    templates: drain.templates().length,
    truthTemplates: new Set(truth).size,
  };
}
