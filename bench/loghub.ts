// The shared loghub 2k samples (../shared/datasets/loghub_2k): raw lines, ground-truth events, loghub's grouping
// accuracy, and Drain's published figures (Zhu et al., ICSE-SEIP 2019, table of grouping accuracy).
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * A loghub 2k sample in `dir/NAME/`: its lines and each line's EventId, from `NAME_2k.log_structured.csv`, or else
 * matched against `NAME_2k.log_templates.csv` as loghub labels (the most specific template that matches the line's
 * end, `<*>` any text), for a system whose structured file one does not have.
 */
export function loadLoghub(name: string, dir = LOGHUB_DIR): LoghubSample {
  const base = `${dir}/${name}/${name}_2k.log`;
  const lines = readFileSync(base, 'utf8').replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  const events = existsSync(`${base}_structured.csv`)
    ? column(readCsvRows(readFileSync(`${base}_structured.csv`, 'utf8')), 'EventId')
    : eventsByTemplate(lines, readCsvRows(readFileSync(`${base}_templates.csv`, 'utf8')));
  if (events.length !== lines.length) throw new Error(`${name}: ${lines.length} lines, ${events.length} events`);
  return { name, lines, events };
}

function column(rows: string[][], name: string): string[] {
  const at = rows[0].indexOf(name);
  return rows.slice(1).map((r) => r[at]);
}

function eventsByTemplate(lines: readonly string[], rows: string[][]): string[] {
  const templates = column(rows, 'EventTemplate')
    .map((t, i) => ({
      id: column(rows, 'EventId')[i],
      literal: t.replaceAll('<*>', '').length,
      re: new RegExp(
        `(?:^|\\s)${t
          .split('<*>')
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ +/g, '\\s+'))
          .join('.*?')}\\s*$`,
      ),
    }))
    .sort((a, b) => b.literal - a.literal);
  return lines.map((l) => templates.find((t) => t.re.test(l))?.id ?? 'none');
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
