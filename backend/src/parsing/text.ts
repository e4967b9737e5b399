/** Index of the double quote closing a string that starts at `from` (backslash-escaped quotes skipped), or -1. */
export function closingQuote(s: string, from: number): number {
  let q = s.indexOf('"', from);
  while (q > 0 && isEscaped(s, q, from)) q = s.indexOf('"', q + 1);
  return q;
}

/** Whether s[at] follows an odd run of backslashes (not reaching back before `from`). */
function isEscaped(s: string, at: number, from: number): boolean {
  let i = at - 1;
  while (i >= from && s.charCodeAt(i) === 92) i--;
  return (at - 1 - i) % 2 === 1;
}

/**
 * A copy of a string that keeps no reference to the text it was sliced from: for keys of long-lived caches. A line is
 * a slice of a whole input chunk (about 1 MB) and so is each field sliced from it; a key that held one would keep its
 * chunk alive. Slicing a concatenation makes V8 copy it flat first.
 */
export function detached(s: string): string {
  return (' ' + s).slice(1);
}

/** A text as a reason or a template shows it: cut to `max` characters, with `…` when cut. */
export function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** The index of the first character at or after `at` that is not a space. */
export function skipSpaces(s: string, at: number): number {
  while (at < s.length && s.charCodeAt(at) === 32) at++;
  return at;
}

/**
 * Text without terminal colour codes: `docker logs`, `kubectl logs` and saved console output keep an application's
 * ECMA-48 escape sequences (`\x1b[32mINFO\x1b[0m`), which hide its timestamp and level from every format and read as
 * binary to rarity (a colour-coded Spring log: 4,000 of 4,000 lines critical).
 */
export function withoutAnsi(s: string): string {
  return s.includes('\x1b') ? s.replace(ANSI_ESCAPE, '') : s;
}

/** CSI sequences (colours, cursor moves), OSC sequences (titles, links) and two-character escapes. */
const ANSI_ESCAPE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;

/**
 * The body of a multi-line record rather than a record of its own: an indented line (Java's `\tat ...`, Python's
 * `  File "..."`), a PHP frame (`#3 /app/x.php(47): ...`), a trace's own words (`Caused by: ...`, `... 12 more`,
 * `Traceback (most recent call last):`, Laravel's `[stacktrace]`), or an exception's class and message
 * (`java.net.ConnectException: Connection refused`). A format does not read such lines; they are no sign it is the
 * wrong one (a ZooKeeper log of 196 lines held 112 of them).
 */
export function continuesRecord(line: string): boolean {
  return CONTINUATION.test(line);
}
const CONTINUATION =
  /^(?:[ \t]|#\d+ |Caused by: |\.\.\. \d+ more|Traceback \(most recent call last\)|\[stacktrace\]|(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)\b)/;
