/**
 * Loki's pattern line filters `|> "<pattern>"` and `!> "<pattern>"`: `Matcher.Test` of Loki
 * `pkg/logql/log/pattern/pattern.go` (3.x), the matcher behind the filter. A pattern is literals and captures (`<_>`
 * or `<name>`). Literals are found left to right, each at its first occurrence after the previous one (no
 * backtracking, so matching is linear in the line); a literal right after the previous one means an empty capture
 * (no match); a pattern that ends with a literal must end the line, one that ends with a capture must leave something
 * for it. As in Loki's Test, a leading literal is not anchored to the start of the line.
 */

export type PatternPart = { literal: string } | { capture: string };

export interface LinePattern {
  text: string;
  parts: PatternPart[];
}

const CAPTURE = /<(_|[A-Za-z_][A-Za-z0-9_]*)>/g;

/** Throws Error with a message saying what is wrong (as Loki refuses a pattern without literals or with `<a><b>`). */
export function compilePattern(text: string): LinePattern {
  const parts: PatternPart[] = [];
  let last = 0;
  for (const m of text.matchAll(CAPTURE)) {
    if (m.index! > last) parts.push({ literal: text.slice(last, m.index) });
    if (parts.length > 0 && 'capture' in parts[parts.length - 1])
      throw new Error(`pattern "${text}": consecutive captures are not allowed`);
    parts.push({ capture: m[1] });
    last = m.index! + m[0].length;
  }
  if (last < text.length) parts.push({ literal: text.slice(last) });
  if (!parts.some((p) => 'literal' in p)) throw new Error(`pattern "${text}": at least one literal is required`);
  return { text, parts };
}

/**
 * The `| pattern "<ip> - <_> <status>"` parser: Loki's `Matcher.Matches` (same file): a leading literal must start
 * the line; each capture runs to the first occurrence of the literal after it (to the end of the line when that is
 * missing, or for a trailing capture). Named captures become labels; no labels when the line does not match.
 */
export function extractPattern(pattern: LinePattern, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (line.length === 0) return out;
  let parts = pattern.parts;
  let rest = line;
  const first = parts[0];
  if ('literal' in first) {
    if (!rest.startsWith(first.literal)) return {};
    rest = rest.slice(first.literal.length);
    parts = parts.slice(1);
  }
  while (parts.length > 0) {
    const capture = (parts[0] as { capture: string }).capture;
    const named = capture !== '_';
    if (parts.length === 1) {
      if (named) out[capture] = rest;
      return out;
    }
    const literal = (parts[1] as { literal: string }).literal;
    parts = parts.slice(2);
    const at = rest.indexOf(literal);
    if (at === -1) {
      if (named) out[capture] = rest;
      return out;
    }
    if (named) out[capture] = rest.slice(0, at);
    rest = rest.slice(at + literal.length);
  }
  return out;
}

/** Whether a line matches a pattern, with Loki's semantics (above). */
export function matchesPattern(pattern: LinePattern, line: string): boolean {
  const { parts } = pattern;
  if (line.length === 0) return false;
  let offset = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (!('literal' in part)) continue;
    const at = line.indexOf(part.literal, offset);
    if (at === -1) return false;
    if (i > 0 && at === offset) return false; // the capture before it is empty
    offset = at + part.literal.length;
  }
  const lastPart = parts[parts.length - 1];
  return 'literal' in lastPart ? offset === line.length : offset < line.length;
}
