import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { asJsonLines } from '../parsing/json-document.js';
import { asEventLines } from '../parsing/windows-xml.js';
import { asUtf8, encodingOf, looksBinary, splitLines, wholeLines } from '../parsing/lines.js';
import { CliError } from '@anomalog/cli-kit';

const BATCH_LINES = 2048;
const SNIFF_BYTES = 8192;
const CHUNK_BYTES = 1 << 20;

/** A log file that can be read more than once (stdin is spooled to a temp file first). */
export interface LogInput {
  /** The name to show: the path, or "stdin". */
  name: string;
  path: string;
  bytes: number;
  gzip: boolean;
  /** Lines cut to MAX_LINE_CHARS during the last read. */
  truncated: number;
  /** Set once a read found a file of records rather than lines: what its line numbers count. */
  records?: 'JSON records' | 'Windows events';
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
    throw new CliError(
      code === 'ENOENT' ? `no such file: ${name}` : `cannot read ${name}: ${code ?? (e as Error).message}`,
    );
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

/** Refuses binary data, read from the first 8 KB in their encoding (see `looksBinary`, `encodingOf`). */
export function checkText(head: Buffer, name: string): void {
  const text = new TextDecoder(encodingOf(head)).decode(head);
  if (looksBinary(text)) throw new CliError(`${name} looks like binary data, not a text log`);
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

/** The input as chunks of whole lines (about 1 MB each), refused with one line when it looks binary. */
async function* readChunks(input: LogInput, onBytes?: (bytes: number) => void): AsyncGenerator<Buffer> {
  const file = createReadStream(input.path, { highWaterMark: CHUNK_BYTES });
  let bytesRead = 0;
  file.on('data', (chunk) => (bytesRead += chunk.length));
  const stream = input.gzip ? file.pipe(createGunzip()) : file;
  file.on('error', (e) => stream.destroy(e));
  const source = asEventLines(
    asJsonLines(asUtf8(stream as AsyncIterable<Buffer>), () => (input.records = 'JSON records')),
    () => (input.records = 'Windows events'),
  );
  let sniffed = !input.gzip;
  async function* checked(): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      if (!sniffed) {
        checkText(chunk.subarray(0, SNIFF_BYTES), input.name);
        sniffed = true;
      }
      yield chunk;
    }
  }
  try {
    for await (const lines of wholeLines(checked())) {
      yield lines;
      onBytes?.(bytesRead);
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    const why = input.gzip ? 'corrupt gzip data' : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
    throw new CliError(`cannot read ${input.name}: ${why}`);
  }
}
