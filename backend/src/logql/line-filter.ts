import { RE2JS } from 're2js';

/** A compiled LogQL regular expression: Go's RE2 syntax and semantics, matched in time linear in the input. */
export interface GoRegex {
  /** True when the pattern matches somewhere in `text` (or all of it, when compiled anchored). */
  test(text: string): boolean;
  /** The first match's groups (0 is the whole match) and named groups, as `test` matches; undefined when none. */
  match(text: string): GoMatch | undefined;
  readonly source: string;
}

export interface GoMatch {
  groups: (string | undefined)[];
  named: Record<string, string | undefined>;
}

/** A LogQL line filter; `values` are alternatives (`|= "a" or "b"`). */
export interface LineFilter {
  op: '|=' | '!=' | '|~' | '!~';
  values: string[];
  /** Compiled for |~ and !~ (unanchored, as Loki). */
  regexes?: GoRegex[];
}

export function lineFilter(op: LineFilter['op'], values: string[]): LineFilter {
  const regex = op === '|~' || op === '!~';
  return { op, values, regexes: regex ? values.map((v) => goRegExp(v)) : undefined };
}

/**
 * A LogQL (Go RE2) pattern, compiled by re2js (a port of Go's regexp): the same syntax as Loki (`(?i)`, `\pL`,
 * `[[:alpha:]]`, `(?P<name>...)`, `\Q...\E`) and no backtracking, so no pattern can take more than linear time on a
 * line (`([^#]+)+#` included). `anchored` matches the whole text, as label matchers do. Throws SyntaxError when bad.
 */
export function goRegExp(pattern: string, anchored = false): GoRegex {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    throw new SyntaxError(`bad regular expression "${pattern}": ${(err as Error).message}`);
  }
  const match = (text: string): GoMatch | undefined => {
    const m = re.matcher(text);
    if (!(anchored ? m.matches() : m.find())) return undefined;
    const groups = Array.from({ length: m.groupCount() + 1 }, (_, i) => m.group(i) ?? undefined);
    const named = Object.fromEntries(Object.entries(re.namedGroups()).map(([name, i]) => [name, groups[i]]));
    return { groups, named };
  };
  return { source: pattern, match, test: anchored ? (text) => re.matches(text) : (text) => re.test(text) };
}

export function passesLineFilters(line: string, filters: readonly LineFilter[]): boolean {
  for (const f of filters) {
    const hit = f.regexes ? f.regexes.some((r) => r.test(line)) : f.values.some((v) => line.includes(v));
    if (hit !== (f.op === '|=' || f.op === '|~')) return false;
  }
  return true;
}
