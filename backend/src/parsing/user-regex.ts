import { setFlagsFromString } from 'node:v8';

/**
 * V8's regex engine backtracks: `(a+)+$` against 26 a's and a '!' took 5.1 s, and a log line is longer. Two V8 flags
 * bound a user's regex without giving up that engine's speed: the pattern must compile for V8's linear-time engine
 * (no backreference, no lookaround), and a match that backtracks too far (50,000 steps) is run again on that engine
 * (the same line: 1 ms). A three-group log pattern still takes 0.4 µs a line, where re2js took 12 µs and the
 * linear engine alone 14 µs. The flags are the process's (its worker threads' too); they change nothing for a regex
 * that does not backtrack that far.
 */
setFlagsFromString('--enable-experimental-regexp-engine');
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');

/**
 * A regex from a user (a custom format's pattern, a session key: from the command line, the config or a model),
 * which runs in time linear in the line. Throws its syntax error, or says which construct cannot run in linear time.
 */
export function userRegExp(source: string): RegExp {
  const re = new RegExp(source);
  try {
    new RegExp(source, 'l');
  } catch {
    throw new SyntaxError(
      'backreferences (\\1, \\k<name>) and lookaround ((?=, (?!, (?<=, (?<!) cannot run in linear time; leave them out',
    );
  }
  return re;
}
