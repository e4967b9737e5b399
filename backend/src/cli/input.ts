import { isAscii } from 'node:buffer';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CliError } from './args.js';

/** Longer lines are cut to this many characters before scoring (their line number is kept). */
export const MAX_LINE_CHARS = 64 * 1024;
const BATCH_LINES = 2048;
const SNIFF_BYTES = 8192;
const CHUNK_BYTES = 1 << 20;
/** Enough bytes for MAX_LINE_CHARS characters of any kind. */
const MAX_LINE_BYTES = MAX_LINE_CHARS * 4;

/** A log file that can be read more than once (stdin is spooled to a temp file first). */
export interface LogInput {
  /** The name to show: the path, or "stdin". */
  name: string;
  path: string;
  bytes: number;
  gzip: boolean;
  /** Lines cut to MAX_LINE_CHARS during the last read. */
  truncated: number;
  batches(onBytes?: (bytes: number) => void): AsyncGenerator<string[]>;
  /** The raw input in chunks of whole lines, for `splitLines` (which does not count `truncated`). */
  chunks(onBytes?: (bytes: number) => void): AsyncGenerator<Buffer>;
  close(): Promise<void>;
}

export async function openInput(file: string): Promise<LogInput> {
  if (file === '-') return spoolStdin();
  return openFile(file, file, async () => {});
}

async function openFile(path: string, name: string, cleanup: () => Promise<void>): Promise<LogInput> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `no such file: ${name}` : `cannot read ${name}: ${code ?? (e as Error).message}`);
  }
  if (info.isDirectory()) throw new CliError(`${name} is a directory, not a log file`);
  if (!info.isFile()) throw new CliError(`${name} is not a regular file`);
  const head = await readHead(path, name);
  const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  if (!gzip) checkText(head, name);
  const input: LogInput = {
    name,
    path,
    bytes: info.size,
    gzip,
    truncated: 0,
    batches: (onBytes) => readBatches(input, onBytes),
    chunks: (onBytes) => readChunks(input, onBytes),
    close: cleanup,
  };
  return input;
}

async function readHead(path: string, name: string): Promise<Buffer> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new CliError(`cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Refuses binary data: more than 10% (and at least 8) of the first 8 KB are NUL or other control bytes, or invalid
 * UTF-8. A text log with a few bad bytes passes (they are replaced by U+FFFD when read).
 */
export function checkText(head: Buffer, name: string): void {
  if (head.length === 0) return;
  const text = head.toString('utf8');
  let bad = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12 && c !== 27) || c === 0xfffd || c === 127) bad++;
  }
  if (bad >= 8 && bad > text.length * 0.1) throw new CliError(`${name} looks like binary data, not a text log`);
}

async function spoolStdin(): Promise<LogInput> {
  const dir = await mkdtemp(join(tmpdir(), 'anomalog-'));
  const path = join(dir, 'stdin.log');
  await pipeline(process.stdin, createWriteStream(path));
  return openFile(path, 'stdin', () => rm(dir, { recursive: true, force: true }));
}

/** Lines in batches, split on '\n' (a trailing '\r' dropped), bad UTF-8 replaced, huge lines cut. */
async function* readBatches(input: LogInput, onBytes?: (bytes: number) => void): AsyncGenerator<string[]> {
  input.truncated = 0;
  const cut = () => input.truncated++;
  for await (const chunk of readChunks(input, onBytes)) {
    const lines = splitLines(chunk, cut);
    for (let at = 0; at < lines.length; at += BATCH_LINES) yield lines.slice(at, at + BATCH_LINES);
  }
}

/**
 * The input as chunks of whole lines (about 1 MB each; the last line may lack its '\n'). While a huge line is still
 * arriving only its head is kept, as it is cut anyway. A chunk is valid until the next one is read: the line cut at
 * the end of a read is joined to the next read in one of two buffers used in turn (fresh memory for every chunk cost
 * the main thread of a 1M-line scan about 0.13 s).
 */
async function* readChunks(input: LogInput, onBytes?: (bytes: number) => void): AsyncGenerator<Buffer> {
  const file = createReadStream(input.path, { highWaterMark: CHUNK_BYTES });
  let bytesRead = 0;
  file.on('data', (chunk) => (bytesRead += chunk.length));
  const source = input.gzip ? file.pipe(createGunzip()) : file;
  file.on('error', (e) => source.destroy(e));
  let carry: Buffer | undefined;
  const joins = [Buffer.alloc(0), Buffer.alloc(0)];
  let turn = 0;
  let sniffed = !input.gzip;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (!sniffed) {
        checkText(chunk.subarray(0, SNIFF_BYTES), input.name);
        sniffed = true;
      }
      let buf = chunk;
      if (carry) {
        turn ^= 1;
        if (joins[turn].length < carry.length + chunk.length) joins[turn] = Buffer.allocUnsafe(2 * (carry.length + chunk.length));
        buf = joins[turn].subarray(0, carry.length + chunk.length);
        carry.copy(buf);
        chunk.copy(buf, carry.length);
      }
      const end = buf.lastIndexOf(10) + 1;
      carry = end < buf.length ? buf.subarray(end) : undefined;
      if (carry && carry.length > MAX_LINE_BYTES) carry = Buffer.from(carry.subarray(0, MAX_LINE_BYTES));
      if (end > 0) yield buf.subarray(0, end);
      onBytes?.(bytesRead);
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    const why = input.gzip ? 'corrupt gzip data' : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
    throw new CliError(`cannot read ${input.name}: ${why}`);
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
 * The lines of a chunk from `chunks()`: decoded a piece at a time, each piece ending after a '\n' (bad UTF-8 becomes
 * U+FFFD; '\n' never occurs inside a multi-byte character, so this equals decoding line by line), a trailing '\r'
 * dropped, lines over MAX_LINE_CHARS cut (each cut reported to `onCut`).
 */
export function splitLines(chunk: Uint8Array, onCut: () => void): string[] {
  const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const lines: string[] = [];
  for (let from = 0; from < bytes.length; ) {
    let to = from + PIECE_BYTES >= bytes.length ? bytes.length : bytes.lastIndexOf(10, from + PIECE_BYTES - 1) + 1;
    if (to <= from) to = bytes.indexOf(10, from) + 1 || bytes.length;
    const piece = bytes.subarray(from, to);
    // ASCII, as most logs are, reads the same as Latin-1, which decodes without UTF-8's checks (about 2.5x faster).
    splitText(isAscii(piece) ? piece.toString('latin1') : piece.toString('utf8'), lines, onCut);
    from = to;
  }
  return lines;
}

function splitText(text: string, lines: string[], onCut: () => void): void {
  for (let start = 0; start < text.length; ) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    if (end - start > MAX_LINE_CHARS) {
      onCut();
      lines.push(text.slice(start, start + MAX_LINE_CHARS));
    } else {
      lines.push(text.slice(start, end));
    }
    start = nl + 1;
  }
}
