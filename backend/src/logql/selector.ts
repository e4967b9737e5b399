import { goRegExp, type GoRegex } from './line-filter.js';

/** Stream selectors as written in anomalog.yaml (`{job="web", env=~"prod|stage"}`), matched against label sets. */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
  /** Anchored, for =~ and !~ (RE2: linear time). */
  regex?: GoRegex;
}

const MATCHER = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;

/** Throws with a message saying what is wrong; config validation turns it into an error naming the key. */
export function parseSelector(text: string): LabelMatcher[] {
  const body = /^\s*\{(.*)\}\s*$/s.exec(text)?.[1];
  if (body === undefined) throw new Error(`"${text}" is not a stream selector like {job="web"}`);
  const matchers: LabelMatcher[] = [];
  MATCHER.lastIndex = 0;
  while (MATCHER.lastIndex < body.length) {
    const start = MATCHER.lastIndex;
    const m = MATCHER.exec(body);
    if (!m) throw new Error(`cannot read the matcher at "${body.slice(start).trim()}" in ${text}`);
    const op = m[2] as MatchOp;
    const value = m[3].replace(/\\(.)/g, '$1');
    matchers.push({ name: m[1], op, value, regex: op === '=~' || op === '!~' ? anchored(value, text) : undefined });
    if (m[4] === '') break;
  }
  if (matchers.length === 0) throw new Error(`${text} has no label matcher`);
  return matchers;
}

function anchored(pattern: string, selector: string): GoRegex {
  try {
    return goRegExp(pattern, true);
  } catch {
    throw new Error(`bad regular expression "${pattern}" in ${selector}`);
  }
}

export function matchesSelector(matchers: readonly LabelMatcher[], labels: Record<string, string>): boolean {
  return matchers.every(({ name, op, value, regex }) => {
    const actual = labels[name] ?? '';
    switch (op) {
      case '=':
        return actual === value;
      case '!=':
        return actual !== value;
      case '=~':
        return regex!.test(actual);
      case '!~':
        return !regex!.test(actual);
    }
  });
}
