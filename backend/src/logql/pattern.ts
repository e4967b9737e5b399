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
    if (parts.length > 0 && 'capture' in parts[parts.length - 1]) throw new Error(`pattern "${text}": consecutive captures are not allowed`);
    parts.push({ capture: m[1] });
    last = m.index! + m[0].length;
  }
  if (last < text.length) parts.push({ literal: text.slice(last) });
  if (!parts.some((p) => 'literal' in p)) throw new Error(`pattern "${text}": at least one literal is required`);
  return { text, parts };
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
