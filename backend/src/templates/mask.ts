/** The wildcard that stands for a variable part in a template. */
export const WILDCARD = '<*>';

/** Characters of a message Drain looks at; the rest of a huge line is not mined. */
const MAX_MESSAGE_CHARS = 4096;

/**
 * Variable parts masked before mining, in this order: HDFS block ids, UUIDs, IPv4 addresses (with port), 0x-hex,
 * long hex runs, then any other run of digits (with `.`/`:` separators, and a leading minus at the start of a
 * number), so `/products/123` becomes `/products/<*>` and `HTTP/1.1` becomes `HTTP/<*>`.
 */
const MASK =
  /blk_-?\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?|0x[0-9a-f]+|(?<![0-9a-z])(?=[a-f]*\d)[0-9a-f]{8,}(?![0-9a-z])|(?:(?<![\w-])-)?\d+(?:[.:]\d+)*/gi;

/** The token with its variable parts replaced by `<*>`; tokens without digits are returned as they are. */
export function maskToken(token: string): string {
  let digits = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
  }
  if (digits === 0) return token;
  return digits === token.length ? WILDCARD : token.replace(MASK, WILDCARD);
}

/** A message ready for the tree: its raw tokens, its masked tokens, and the masked text as a cache key. */
export interface PreparedMessage {
  raw: string[];
  /** Masked tokens, each run of wholly masked tokens collapsed into one `<*>`. */
  masked: string[];
  /** masked[j] covers raw[starts[j]] up to raw[starts[j + 1]]; absent when no run was collapsed. */
  starts?: number[];
  key: string;
}

/**
 * Tokenizes on whitespace (any control character counts), masks each token, and collapses runs of wholly masked
 * tokens so lists of any length (HDFS's `ask ... to delete blk_1 blk_2 ...`) share one template.
 */
export function prepareMessage(message: string): PreparedMessage {
  const text = message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS) : message;
  const raw: string[] = [];
  const masked: string[] = [];
  let starts: number[] | undefined;
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && text.charCodeAt(i) > 32) {
      if (start < 0) start = i;
      continue;
    }
    if (start < 0) continue;
    const token = text.slice(start, i);
    const m = maskToken(token);
    start = -1;
    raw.push(token);
    if (m === WILDCARD && masked[masked.length - 1] === WILDCARD) {
      starts ??= Array.from(masked, (_, k) => k);
      continue;
    }
    starts?.push(raw.length - 1);
    masked.push(m);
  }
  return { raw, masked, starts, key: masked.join(' ') };
}

/** Whether a token holds a variable part (a digit or a wildcard): such tokens route to the tree's `<*>` child. */
export function isVariable(token: string): boolean {
  if (token.includes(WILDCARD)) return true;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}
