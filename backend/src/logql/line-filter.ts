/** A LogQL line filter; `values` are alternatives (`|= "a" or "b"`). */
export interface LineFilter {
  op: '|=' | '!=' | '|~' | '!~';
  values: string[];
  /** Compiled for |~ and !~ (unanchored, as Loki). */
  regexes?: RegExp[];
}

export function lineFilter(op: LineFilter['op'], values: string[]): LineFilter {
  const regex = op === '|~' || op === '!~';
  return { op, values, regexes: regex ? values.map((v) => goRegExp(v)) : undefined };
}

/** A LogQL (Go RE2) pattern as a JS RegExp; a leading `(?i)` becomes the `i` flag. Throws SyntaxError when bad. */
export function goRegExp(pattern: string, anchored = false): RegExp {
  const insensitive = pattern.startsWith('(?i)');
  const body = insensitive ? pattern.slice(4) : pattern;
  return new RegExp(anchored ? `^(?:${body})$` : body, insensitive ? 'i' : '');
}

export function passesLineFilters(line: string, filters: readonly LineFilter[]): boolean {
  for (const f of filters) {
    const hit = f.regexes ? f.regexes.some((r) => r.test(line)) : f.values.some((v) => line.includes(v));
    if (hit !== (f.op === '|=' || f.op === '|~')) return false;
  }
  return true;
}
