/**
 * Rule signals of one line, on the calibrated score scale (0.65 alone is `medium`): attack patterns are `high`, a
 * FATAL line `high`, an ERROR line `medium`, a trouble keyword or an HTTP library's user agent `low`; an HTTP 5xx
 * alone stays below `low` and only explains a line something else flagged; a scanner's user agent, a response far
 * above its route's usual size, a client's burst of HTTP 401s, a non-standard method the server refused and an error
 * on a route one client alone requested are `medium`; a session missing a lifecycle step or with two steps out of
 * order is `low`. A trouble keyword on a routine template (see ROUTINE_SHARE) is no evidence at all. Read from the
 * feature row, so the patterns themselves are matched again only for the rare line that has one.
 */
export const RULE_STRENGTH = {
  attack: 0.9,
  attackMulti: 0.95,
  fatal: 0.9,
  error: 0.7,
  keyword: 0.5,
  /** An HTTP library or command-line client (curl, python-requests): also every script's and API client's. */
  tool: 0.5,
  /** A user agent that names a security scanner (nikto, zgrab, sqlmap): it says what it is doing. */
  scanner: 0.65,
  http5xx: 0.35,
  /** A response far larger than its route's training median (see LARGE_RESPONSE_Z). */
  largeResponse: 0.65,
  /** One client failing authentication again and again within the window (see AUTH_FAILURES). */
  authFailures: 0.65,
  /** A method outside the standard set that the server refused (400, 405, 501): a probe, not a client's request. */
  refusedMethod: 0.65,
  /** A client far from the population of clients (features/population.ts): every line of it. */
  population: 0.65,
  /** An error answer on a route one client alone requested in training (features/population.ts: a probe). */
  loneRoute: 0.65,
  /** A web log's line that is no request, rare in its stream, beside a trouble word or level: weak, as a keyword. */
  serverLine: 0.5,
  /** A query parameter its route never took in training (features/route-params.ts): weak, as a keyword. */
  unseenParam: 0.5,
  /** A source reaching more destinations in a minute than sources do (detectors/fanout.ts): a sweep. */
  fanout: 0.65,
  /** A session lacks a step of the usual lifecycle, or has two steps the other way round. */
  sessionShape: 0.5,
} as const;
