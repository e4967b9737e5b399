import { isAscii } from 'node:buffer';

/** Longer lines are cut to this many characters before scoring (their line number is kept). */
export const MAX_LINE_CHARS = 64 * 1024;
/** Enough bytes for `maxChars` characters of any kind. */
const bytesFor = (maxChars: number): number => maxChars * 4;

/**
 * True when text looks like binary data rather than log lines: more than 10% (and at least 8) of its characters are
 * NUL or other control characters, or undecodable. A text log with a few bad bytes passes (they read as U+FFFD).
 */
export function looksBinary(sample: string): boolean {
  let bad = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12 && c !== 27) || c === 0xfffd || c === 127) bad++;
  }
  return bad >= 8 && bad > sample.length * 0.1;
}

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';
/** Bytes `encodingOf` reads. */
const ENCODING_SNIFF_BYTES = 8192;

/**
 * A log's encoding from its first bytes: a byte-order mark, or else ASCII text in UTF-16 (a zero byte beside nearly
 * every character), as Windows PowerShell's `>` and `Out-File`, Event Viewer's text export and SQL Server's ERRORLOG
 * write it. Anything else is read as UTF-8.
 */
export function encodingOf(head: Uint8Array): TextEncoding {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  const pairs = Math.min(head.length, ENCODING_SNIFF_BYTES) >> 1;
  if (pairs < 8) return 'utf-8';
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < pairs; i++) {
    if (head[2 * i] === 0) evenZeros++;
    if (head[2 * i + 1] === 0) oddZeros++;
  }
  if (oddZeros >= 0.9 * pairs && evenZeros <= 0.01 * pairs) return 'utf-16le';
  if (evenZeros >= 0.9 * pairs && oddZeros <= 0.01 * pairs) return 'utf-16be';
  return 'utf-8';
}

/** Chunks of text in the encoding their first 512 bytes tell, as UTF-8 without a byte-order mark. */
export async function* asUtf8(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const { head, rest } = await headOf(source, 512);
  const encoding = encodingOf(head);
  if (encoding === 'utf-8') {
    yield head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? head.subarray(3) : head;
    yield* rest;
    return;
  }
  const decoder = new TextDecoder(encoding);
  yield Buffer.from(decoder.decode(head, { stream: true }), 'utf8');
  for await (const chunk of rest) yield Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8');
  const end = decoder.decode();
  if (end) yield Buffer.from(end, 'utf8');
}

/** A stream's first chunks joined (`bytes` of them at least, or all it has; one chunk is not copied), and the rest. */
export async function headOf(
  source: AsyncIterable<Buffer>,
  bytes: number,
): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let seen = 0;
  while (seen < bytes) {
    const next = await iterator.next();
    if (next.done) break;
    chunks.push(next.value);
    seen += next.value.length;
  }
  const head = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  return { head, rest: { [Symbol.asyncIterator]: () => iterator } };
}

/**
 * Byte chunks regrouped into chunks of whole lines (the last line may lack its '\n'), for `splitLines`. While a huge
 * line is still arriving only its head is kept, as it is cut anyway. A chunk is valid until the next one is read: the
 * line cut at the end of a read is joined to the next read in one of two buffers used in turn (fresh memory for every
 * chunk cost the main thread of a 1M-line scan about 0.13 s).
 */
export async function* wholeLines(source: AsyncIterable<Buffer>, maxChars = MAX_LINE_CHARS): AsyncGenerator<Buffer> {
  const maxBytes = bytesFor(maxChars);
  let carry: Buffer | undefined;
  const joins = [Buffer.alloc(0), Buffer.alloc(0)];
  let turn = 0;
  for await (const chunk of source) {
    let buf = chunk;
    if (carry) {
      turn ^= 1;
      if (joins[turn].length < carry.length + chunk.length)
        joins[turn] = Buffer.allocUnsafe(2 * (carry.length + chunk.length));
      buf = joins[turn].subarray(0, carry.length + chunk.length);
      carry.copy(buf);
      chunk.copy(buf, carry.length);
    }
    const end = buf.lastIndexOf(10) + 1;
    carry = end < buf.length ? buf.subarray(end) : undefined;
    if (carry && carry.length > maxBytes) carry = Buffer.from(carry.subarray(0, maxBytes));
    if (end > 0) yield buf.subarray(0, end);
  }
  if (carry) yield carry;
}

/**
 * Text is decoded, and sent between threads, in strings of at most this many bytes (or characters): a longer string
 * could be a "large object" to V8 (over 128 KB), which only a full garbage collection frees, and a scan making a few
 * per chunk spent a tenth of its main thread in those collections.
 */
export const PIECE_BYTES = 32 * 1024;

/**
 * The lines of a chunk of whole lines (`wholeLines`): decoded a piece at a time, each piece ending after a '\n' (bad UTF-8 becomes
 * U+FFFD; '\n' never occurs inside a multi-byte character, so this equals decoding line by line), a trailing '\r'
 * dropped, lines over `maxChars` cut (each cut reported to `onCut`).
 */
export function splitLines(chunk: Uint8Array, onCut: () => void, maxChars = MAX_LINE_CHARS): string[] {
  const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const lines: string[] = [];
  for (let from = 0; from < bytes.length;) {
    let to = from + PIECE_BYTES >= bytes.length ? bytes.length : bytes.lastIndexOf(10, from + PIECE_BYTES - 1) + 1;
    if (to <= from) to = bytes.indexOf(10, from) + 1 || bytes.length;
    const piece = bytes.subarray(from, to);
    // ASCII, as most logs are, reads the same as Latin-1, which decodes without UTF-8's checks (about 2.5x faster).
    splitText(isAscii(piece) ? piece.toString('latin1') : piece.toString('utf8'), lines, onCut, maxChars);
    from = to;
  }
  return lines;
}

function splitText(text: string, lines: string[], onCut: () => void, maxChars: number): void {
  for (let start = 0; start < text.length;) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    if (end - start > maxChars) {
      onCut();
      lines.push(text.slice(start, start + maxChars));
    } else {
      lines.push(text.slice(start, end));
    }
    start = nl + 1;
  }
}
