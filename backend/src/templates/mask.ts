import { MONTHS, WEEKDAYS } from '@anomalog/contract';
/** The wildcard that stands for a variable part in a template. */
export const WILDCARD = '<*>';

/** Characters of a message Drain looks at; the rest of a huge line is not mined. */
const MAX_MESSAGE_CHARS = 4096;

/**
 * Variable parts masked before mining, in this order: HDFS block ids, UUIDs, IPv4 addresses (with port), 0x-hex,
 * hex runs (8 or more characters with a digit, or 6-7 lowercase ones with a digit and a letter: Java's identity
 * hashes, `AppWindowToken{9f4ef63`, which left `{<*>f<*>ef<*>` and a template per object before), then any other
 * run of digits (with `.`/`:` separators, and a leading minus at the start of a number), so `/products/123` becomes `/products/<*>` and `HTTP/1.1` becomes `HTTP/<*>`.
 */
const MASK =
  /blk_-?\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?|0[xX][0-9a-fA-F]+|(?<![0-9a-zA-Z])(?=[a-fA-F]*\d)(?:[0-9a-fA-F]{8,}|(?=\d*[a-f])[0-9a-f]{6,7})(?![0-9a-zA-Z])|(?:(?<![\w-])-)?\d+(?:[.:]\d+)*/g;

/** The token with its variable parts replaced by `<*>`; tokens without digits are returned as they are. */
export function maskToken(token: string): string {
  let digits = 0;
  for (let i = 0; i < token.length; i++) if (isDigit(token.charCodeAt(i))) digits++;
  return maskCounted(token, digits, true);
}

/**
 * A run of 8 or more hex letters of one case with no digit: a word full of ones (`mask=ffffffff`, a -1 in hex) or a
 * magic number (`deadbeef`). Android's `setSystemUiVisibility vis=... mask=ffffffff` split 200 lines of one event
 * (loghub Android_2k) in two templates; no English word in the ten loghub samples has such a run.
 */
const HEX_WORD = /(?<![0-9a-zA-Z])(?:[a-f]{8,}|[A-F]{8,})(?![0-9a-zA-Z])/g;

/** maskToken with the digits already counted (and hex words only from rules 3 on); common shapes skip the regex. */
function maskCounted(token: string, digits: number, hexWords: boolean): string {
  if (digits === 0) return hexWords && token.length >= 8 ? token.replace(HEX_WORD, WILDCARD) : token;
  if (digits === token.length || isNumeral(token, 0)) return WILDCARD;
  if (token.charCodeAt(0) === 47 && isNumeral(token, 1)) return '/<*>';
  if (token.startsWith('blk_') && isNumeral(token, token.charCodeAt(4) === 45 ? 5 : 4)) return WILDCARD;
  return token.replace(MASK, WILDCARD);
}

/** Whether s[from..] is digits joined by single `.` or `:` (a number, an IPv4 address with port, a time). */
function isNumeral(s: string, from: number): boolean {
  if (from >= s.length || !isDigit(s.charCodeAt(from)) || !isDigit(s.charCodeAt(s.length - 1))) return false;
  for (let i = from + 1; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c) && !((c === 46 || c === 58) && isDigit(s.charCodeAt(i + 1)))) return false;
  }
  return true;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Dates written out inside a message (`at Fri Jun 17 20:55:07 2005`, `on 3 Mar 2024 12:00`): masked whole, before
 * the digits are, so the weekday and month names do not split one event into many.
 */
const DAY = WEEKDAYS.join('|');
const MON = MONTHS.join('|');
const DATE_GATE = new RegExp(`(?:${DAY}|${MON})[a-z]*\\.?,? {1,2}\\d`);
const DATE_IN_TEXT = new RegExp(
  `\\b(?:(?:${DAY})[a-z]*,? )?(?:(?:${MON})[a-z]*\\.? {1,2}\\d{1,2}(?:st|nd|rd|th)?|\\d{1,2} (?:${MON})[a-z]*)(?:,? \\d{4})?(?:,? \\d{1,2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?)?(?: ?(?:[AP]M|UTC|GMT|[A-Z]{3,4}T|[+-]\\d{4}))?(?: \\d{4})?(?![\\w:])`,
  'g',
);

/**
 * Unit words that belong to the number before them (`12 KB`, `<1 sec`, `250 ms`): masked with it, so a size or a
 * duration written with or without its unit is the same variable.
 */
const UNITS = new Set([
  'b',
  'kb',
  'mb',
  'gb',
  'tb',
  'kib',
  'mib',
  'gib',
  'ms',
  'us',
  'ns',
  's',
  'sec',
  'secs',
  'second',
  'seconds',
  'min',
  'mins',
  'minute',
  'minutes',
  'h',
  'hr',
  'hrs',
  'hour',
  'hours',
  'day',
  'days',
  '%',
]);

function isUnit(token: string): boolean {
  let end = token.length;
  while (end > 0 && ')],;.'.includes(token[end - 1])) end--;
  return end > 0 && end <= 7 && UNITS.has(token.slice(0, end).toLowerCase());
}

/**
 * Words that name the identity after them: `session opened for user news`, `Invalid user admin`, `user: root`. The
 * token after one is a value, whatever its letters, where a file of a few hundred lines rarely brings five users to
 * one position (Drain's WORD_SLOT_VALUES): loghub Linux's `session opened for user <*>` was one template per user
 * (template accuracy 0.878, 1.000 with the rule). `user=root` as one token is not masked: loghub reads Linux's
 * `... user=root` and `... user=guest` as two events (and OpenSSH's as one: Drain learns the names, drain.ts).
 */
const NAMING_WORDS = new Set(['user']);
/** Their lengths: most tokens are ruled out before any copy (every token of every message is asked). */
const NAMING_LENGTHS = new Set([...NAMING_WORDS].map((w) => w.length));

/**
 * Words after `user` that say what happened, not who (`user logged in`, `user created successfully`, `user from
 * <*>` with the name left empty): a past participle or a gerund, or a small word. They stay words, so `user created
 * successfully` and `user deleted successfully` stay two events.
 */
const NOT_A_NAME =
  /^(?:[a-z]{3,}(?:ed|ing)|is|was|has|not|no|from|to|for|by|in|on|at|of|and|or|with|account|name|session|request|login|logout|authentication|parameter)$/;

/** A name a naming word may give: `root`, `admin@example.com`, `Alice`, not `logged`, `from` or a pair (`pid=1`). */
export function mayBeName(token: string): boolean {
  return !token.includes('=') && !NOT_A_NAME.test(token);
}

/** `user`, `User`, `user:`, `user=`. */
export function isNamingWord(token: string): boolean {
  const last = token.charCodeAt(token.length - 1);
  const end = last === 58 || last === 61 ? token.length - 1 : token.length;
  return NAMING_LENGTHS.has(end) && NAMING_WORDS.has(token.slice(0, end).toLowerCase());
}

/**
 * Version of the masking rules: 2 masks dates inside messages and units after numbers, 3 hex words without a digit
 * (HEX_WORD), 4 the token after a naming word (NAMING_WORDS). A model's templates were mined with its own version (1
 * for models without one), and its messages are masked the same way when it scores.
 */
export type MaskRules = 1 | 2 | 3 | 4 | 5;
export const MASK_RULES: MaskRules = 5;

/**
 * An email address (rules 5 on), masked wherever it stands in a token: `to=<noreply@drozta.us>,`. A real Postfix log's
 * four deferrals of one event (`status=deferred (connect to ...: Connection refused)`) to four addresses were four
 * templates seen once each, every one flagged as rare; Drain's tree keys on the address token and never compared them.
 */
const EMAIL = /[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

/** A message ready for the tree: its raw tokens, its masked tokens, and the masked text as a cache key. */
export interface PreparedMessage {
  raw: string[];
  /** Masked tokens, each run of wholly masked tokens collapsed into one `<*>`. */
  masked: string[];
  /** masked[j] covers raw[starts[j]] up to raw[starts[j + 1]]; absent when no run was collapsed. */
  starts?: number[];
  key: string;
  /**
   * The message's literal tokens (those without a variable part) in order: messages of one event whose variable
   * parts take different numbers of tokens (`403 bytes sent` and `403 bytes (1.2 KB) sent`) share it.
   */
  signature: string;
}

/**
 * Tokenizes on whitespace (any control character counts), masks each token, and collapses runs of wholly masked
 * tokens so lists of any length (HDFS's `ask ... to delete blk_1 blk_2 ...`) share one template.
 */
export function prepareMessage(message: string, masks: MaskRules = MASK_RULES): PreparedMessage {
  let text = message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS) : message;
  const current = masks >= 2;
  const hexWords = masks >= 3;
  const names = masks >= 4;
  const emails = masks >= 5;
  if (current && DATE_GATE.test(text)) text = text.replace(DATE_IN_TEXT, WILDCARD);
  const raw: string[] = [];
  const masked: string[] = [];
  let starts: number[] | undefined;
  let start = -1;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    if (c > 32) {
      if (start < 0) start = i;
      if (isDigit(c)) digits++;
      continue;
    }
    if (start < 0) continue;
    const token = text.slice(start, i);
    let m = maskCounted(token, digits, hexWords);
    if (emails && m.includes('@')) m = m.replace(EMAIL, WILDCARD);
    if (current && digits === 0 && masked.length > 0 && masked[masked.length - 1].includes(WILDCARD) && isUnit(token))
      m = WILDCARD;
    else if (
      names &&
      masked.length > 0 &&
      isNamingWord(masked[masked.length - 1]) &&
      mayBeName(token) &&
      !lastAt(text, i)
    )
      m = WILDCARD;
    start = -1;
    digits = 0;
    raw.push(token);
    if (m === WILDCARD && masked[masked.length - 1] === WILDCARD) {
      starts ??= Array.from(masked, (_, k) => k);
      continue;
    }
    starts?.push(raw.length - 1);
    masked.push(m);
  }
  let signature = '';
  for (const t of masked) if (!t.includes(WILDCARD)) signature += signature ? ` ${t}` : t;
  return { raw, masked, starts, key: masked.join(' '), signature };
}

/**
 * Whether no token follows position `at` of `text`. The last token after `user` is no value of its own (`session
 * closed for user news`, `check pass; user unknown`): Drain learns names that came before (drain.ts, names).
 */
function lastAt(text: string, at: number): boolean {
  while (at < text.length && text.charCodeAt(at) <= 32) at++;
  return at >= text.length;
}

/** Whether a token holds a variable part (a digit or a wildcard): such tokens route to the tree's `<*>` child. */
export function isVariable(token: string): boolean {
  if (token.includes(WILDCARD)) return true;
  for (let i = 0; i < token.length; i++) if (isDigit(token.charCodeAt(i))) return true;
  return false;
}
