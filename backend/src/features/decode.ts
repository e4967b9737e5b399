/**
 * Normalisation of request text before attack matching: an attacker hides a payload behind encodings that the
 * server (or a decoder in front of it) undoes, so the detectors read what the application would read.
 *
 * `normalise` decodes in a loop until the text stops changing (at most MAX_ROUNDS rounds): percent escapes (also
 * double and triple encoded), `%uXXXX`, UTF-8 byte sequences decoded leniently so that overlong forms give their
 * character (`%c0%ae` '.', `%c0%af` '/', `%c1%9c` '\', `%f8%80%80%80%af` '/'), `+` as a space, HTML character
 * references (`&#46;`, `&#x2e;`, `&colon;`), and backslash escapes (`\x09`, `\u0027`). Then it folds case, turns
 * every run of white space (and NUL) into one space and SQL block comments into a space (a MySQL versioned comment
 * `/*!50000 select*\/` keeps its content). The raw text is never changed: callers keep it for display.
 */

const MAX_ROUNDS = 6;

/** Characters that can start an encoding; text without any of them only needs folding. */
function hasEncoding(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 /* % */ || c === 43 /* + */ || c === 38 /* & */ || c === 92 /* \ */) return true;
  }
  return false;
}

export function normalise(text: string): string {
  let s = text;
  for (let round = 0; round < MAX_ROUNDS && hasEncoding(s); round++) {
    const next = decodeOnce(s);
    if (next === s) break;
    s = next;
  }
  return fold(s);
}

/** One round of every decoding. */
export function decodeOnce(s: string): string {
  let out = s;
  if (out.includes('%')) out = percentDecode(out);
  if (out.includes('+')) out = out.replace(/\+/g, ' ');
  if (out.includes('&')) out = htmlDecode(out);
  if (out.includes('\\')) out = backslashDecode(out);
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

function hexAt(s: string, i: number, n: number): number {
  if (i + n > s.length) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const h = hexValue(s.charCodeAt(i + k));
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

/**
 * Percent escapes to bytes, bytes to characters by lenient UTF-8: a lead byte with the continuation bytes it
 * announces gives its code point even when overlong (what old IIS and many decoders did, and what traversal
 * payloads rely on); a lead byte without them stands for itself (Latin-1); `%uXXXX` is a UTF-16 unit.
 */
export function percentDecode(s: string): string {
  const bytes: number[] = [];
  let out = '';
  const flush = () => {
    if (bytes.length) {
      out += utf8Lenient(bytes);
      bytes.length = 0;
    }
  };
  for (let i = 0; i < s.length;) {
    const c = s.charCodeAt(i);
    if (c === 37) {
      const v = hexAt(s, i + 1, 2);
      if (v >= 0) {
        bytes.push(v);
        i += 3;
        continue;
      }
      if ((s.charCodeAt(i + 1) | 32) === 117 /* u */) {
        const u = hexAt(s, i + 2, 4);
        if (u >= 0) {
          flush();
          out += String.fromCharCode(u);
          i += 6;
          continue;
        }
      }
    }
    flush();
    out += s[i];
    i++;
  }
  flush();
  return out;
}

/** Continuation bytes a lead byte announces (overlong 5- and 6-byte forms included), or -1 if it is no lead. */
function continuations(b: number): number {
  if (b >= 0xc0 && b <= 0xdf) return 1;
  if (b >= 0xe0 && b <= 0xef) return 2;
  if (b >= 0xf0 && b <= 0xf7) return 3;
  if (b >= 0xf8 && b <= 0xfb) return 4;
  if (b >= 0xfc && b <= 0xfd) return 5;
  return -1;
}

function utf8Lenient(bytes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    const n = continuations(b);
    let ok = n > 0 && i + n < bytes.length;
    for (let k = 1; ok && k <= n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) ok = false;
    if (!ok && (b === 0xc0 || b === 0xc1) && i + 1 < bytes.length && bytes[i + 1] < 0x80) {
      // Always overlong: decoders that mask the second byte read `%c0%2e` as '.'.
      out += String.fromCharCode(((b & 1) << 6) | (bytes[i + 1] & 0x3f));
      i += 2;
      continue;
    }
    if (!ok) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    let cp = b & (0x3f >> n);
    for (let k = 1; k <= n; k++) cp = cp * 64 + (bytes[i + k] & 0x3f);
    out += cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
    i += n + 1;
  }
  return out;
}

const NAMED_ENTITIES: Record<string, string> = {
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  amp: '&',
  colon: ':',
  sol: '/',
  bsol: '\\',
  lpar: '(',
  rpar: ')',
  period: '.',
  comma: ',',
  semi: ';',
  tab: '\t',
  newline: '\n',
  nbsp: ' ',
  excl: '!',
  num: '#',
  dollar: '$',
  percnt: '%',
  lsqb: '[',
  rsqb: ']',
  lcub: '{',
  rcub: '}',
  verbar: '|',
  grave: '`',
  equals: '=',
  plus: '+',
  ast: '*',
  quest: '?',
  hyphen: '-',
  lowbar: '_',
  commat: '@',
};

/** HTML character references: decimal and hex (the ';' optional, leading zeros allowed) and common named ones. */
export function htmlDecode(s: string): string {
  return s.replace(
    /&(?:#(?:x([0-9a-f]{1,8})|(\d{1,10}));?|([a-z]{2,8});)/gi,
    (m, hex: string, dec: string, name: string) => {
      if (name !== undefined) return NAMED_ENTITIES[name.toLowerCase()] ?? m;
      const cp = hex !== undefined ? parseInt(hex, 16) : parseInt(dec, 10);
      return cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : m;
    },
  );
}

/** `\xHH`, `\uHHHH` and `\u{H..}` escapes (JavaScript, PHP, shell `$'...'`). */
export function backslashDecode(s: string): string {
  return s.replace(
    /\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|u\{([0-9a-f]{1,6})\})/gi,
    (m, x: string, u: string, ub: string) => {
      const cp = parseInt(x ?? u ?? ub, 16);
      return cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : m;
    },
  );
}

/** A base64 (or base64url) value of at least 12 bytes, once its percent escapes are undone. */
const BASE64 = /^[A-Za-z0-9+/_-]{16,}={0,2}$/;

/**
 * The text a parameter value holds in base64 (`PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==`, `<script>alert(1)</script>`),
 * when every byte it decodes to is printable ASCII or white space; undefined otherwise. Tokens, ids and hashes
 * decode to arbitrary bytes: 12 random bytes are all printable once in 100,000.
 */
export function base64Text(raw: string): string | undefined {
  const s = raw.includes('%') ? percentDecode(raw) : raw;
  if (!BASE64.test(s)) return undefined;
  const body = s.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  if (body.length % 4 === 1) return undefined;
  const text = atob(body + '='.repeat((4 - (body.length % 4)) % 4));
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 126 || (c < 32 && c !== 9 && c !== 10 && c !== 13)) return undefined;
  }
  return text;
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Lower case (after NFKC for non-ASCII text), SQL block comments to a space (a versioned comment keeps its text),
 * white space runs to one space or, when they hold a line break, to one '\n'; NUL dropped.
 */
export function fold(s: string): string {
  // Full-width and other compatibility forms (`＜script＞`, from `%uff1c`) read as their ASCII twins.
  let out = NON_ASCII.test(s) ? s.normalize('NFKC').toLowerCase() : s.toLowerCase();
  if (out.includes('/*')) out = out.replace(/\/\*\*\/|\/\*!\d{0,6}|\/\*[^!][\s\S]*?\*\/|\*\//g, ' ');
  // NUL is dropped (old browsers and C string functions skip or stop at it: `<%00script>`); a line break stays one
  // '\n' (a shell runs what follows it); other white space runs become one space.
  if (out.includes('\u0000')) out = out.replace(/\u0000/g, '');
  return out.replace(/[^\S\n]*\n[\s]*/g, '\n').replace(/[^\S\n]+/g, ' ');
}
