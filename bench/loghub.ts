// The shared loghub 2k samples (../shared/datasets/loghub_2k): raw lines, ground-truth events, loghub's grouping
// accuracy, and Drain's published figures (Zhu et al., ICSE-SEIP 2019, table of grouping accuracy).
import { readFileSync } from 'node:fs';
import { splitCsv } from '../backend/src/parsing/csv.js';

export const LOGHUB_DIR = '../shared/datasets/loghub_2k';

/** Drain's published grouping accuracy per system (loghub benchmark). */
export const DRAIN_GA: Record<string, number> = {
  Apache: 1.0,
  Hadoop: 0.948,
  HealthApp: 0.78,
  Linux: 0.69,
  Mac: 0.787,
  OpenStack: 0.733,
  Proxifier: 0.527,
  Spark: 0.92,
  Windows: 0.997,
  Zookeeper: 0.967,
};
export const SYSTEMS = Object.keys(DRAIN_GA);

export interface LoghubSample {
  name: string;
  lines: string[];
  /** EventId of each line. */
  events: string[];
}

export function loadLoghub(name: string, dir = LOGHUB_DIR): LoghubSample {
  const lines = readFileSync(`${dir}/${name}/${name}_2k.log`, 'utf8')
    .replace(/\r\n/g, '\n')
    .replace(/\n+$/, '')
    .split('\n');
  const rows = readCsvRows(readFileSync(`${dir}/${name}/${name}_2k.log_structured.csv`, 'utf8'));
  const column = rows[0].indexOf('EventId');
  const events = rows.slice(1).map((r) => r[column]);
  if (events.length !== lines.length) throw new Error(`${name}: ${lines.length} lines, ${events.length} events`);
  return { name, lines, events };
}

/** CSV rows, quoted cells may hold line breaks. */
function readCsvRows(text: string): string[][] {
  const out: string[][] = [];
  let pending = '';
  for (const l of text.replace(/\r\n/g, '\n').split('\n')) {
    pending = pending ? `${pending}\n${l}` : l;
    if ((pending.match(/"/g)?.length ?? 0) % 2 === 1) continue;
    if (pending.trim() !== '') out.push(splitCsv(pending) ?? []);
    pending = '';
  }
  return out;
}

/** Average precision of a score ranking for the positive lines (ties broken by input order, as foreign_eval.py does). */
export function averagePrecision(scores: readonly number[], positive: readonly boolean[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  let hits = 0;
  let ap = 0;
  order.forEach((i, k) => {
    if (positive[i]) ap += ++hits / (k + 1);
  });
  return hits ? ap / hits : NaN;
}

/** Lines of rare events: an EventId seen at most twice in the file. */
export function rareLines(events: readonly string[]): boolean[] {
  const count = new Map<string, number>();
  for (const e of events) count.set(e, (count.get(e) ?? 0) + 1);
  return events.map((e) => count.get(e)! <= 2);
}
