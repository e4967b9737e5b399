import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { writeDurable } from '../../durable.js';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { FormatName, ScoredLine } from '../../types.js';
import type { Summary } from '../../pipeline/index.js';

export interface UploadMeta {
  id: string;
  file: string;
  /** The model that scored the file: a loaded model's name, or the file's own name when it was learnt from it. */
  model: string;
  /** True when the model was learnt from this file ("learn from this file"). */
  learned: boolean;
  /** The file's format as detected from its first lines, and the format the model reads. */
  format: FormatName;
  modelFormat: FormatName;
  /** What the client should know about the result, e.g. that the model was trained on another format. */
  warnings: string[];
  detector: string;
  createdAt: string;
  expiresAt: string;
  truncatedLines: number;
  summary: ReturnType<Summary['toJSON']>;
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The received lines of an upload, kept until it is scored (a model may first have to be learnt from them). */
const INPUT = 'input.txt';

/**
 * Scored uploads, one directory each (records.jsonl + meta.json; input.txt while it is being scored) under `dir`, named by a random id so one upload
 * can never reach another's records. An upload without meta.json is still being written (or failed) and is not listed.
 */
export class UploadStore {
  /** Uploads being written by this process (a directory without meta.json that is not here was interrupted). */
  private readonly active = new Set<string>();

  constructor(
    readonly dir: string,
    readonly ttlMs: number,
  ) {}

  /** A writer for a new upload's records; `commit` makes it visible, `discard` removes it. */
  async create() {
    const id = randomUUID();
    this.active.add(id);
    const dir = join(this.dir, id);
    await mkdir(dir, { recursive: true });
    const out = appender(join(dir, 'records.jsonl'), { flush: true });
    const input = appender(join(dir, INPUT));
    let kept = 0;
    return {
      id,
      /** Keeps one received line (without its newline) for scoring. */
      keepLine: (line: string) => {
        kept++;
        return input.write(`${line}\n`);
      },
      get linesKept() {
        return kept;
      },
      /** The kept lines, in batches, once every line is kept. */
      async *lines(batch: number): AsyncGenerator<string[]> {
        await input.end();
        let lines: string[] = [];
        const file = createReadStream(join(dir, INPUT), 'utf8');
        try {
          for await (const line of createInterface({ input: file, crlfDelay: Infinity })) {
            lines.push(line);
            if (lines.length === batch) {
              yield lines;
              lines = [];
            }
          }
          if (lines.length) yield lines;
        } finally {
          file.destroy();
        }
      },
      write: (record: ScoredLine) => out.write(`${JSON.stringify(record)}\n`),
      commit: async (meta: Omit<UploadMeta, 'id' | 'createdAt' | 'expiresAt'>): Promise<UploadMeta> => {
        await Promise.all([out.end(), input.end()]);
        await rm(join(dir, INPUT), { force: true });
        const now = Date.now();
        const full: UploadMeta = {
          id,
          createdAt: new Date(now).toISOString(),
          expiresAt: new Date(now + this.ttlMs).toISOString(),
          ...meta,
        };
        try {
          await writeDurable(join(dir, 'meta.json'), JSON.stringify(full));
        } finally {
          this.active.delete(id);
        }
        return full;
      },
      discard: async () => {
        out.destroy();
        input.destroy();
        await rm(dir, { recursive: true, force: true });
        this.active.delete(id);
      },
    };
  }

  /** The upload's meta, or undefined when the id is unknown, unfinished or expired (then it is deleted). */
  async get(id: string): Promise<UploadMeta | undefined> {
    if (!ID.test(id)) return undefined;
    let meta: UploadMeta;
    try {
      meta = JSON.parse(await readFile(join(this.dir, id, 'meta.json'), 'utf8')) as UploadMeta;
    } catch {
      return undefined;
    }
    if (Date.parse(meta.expiresAt) > Date.now()) return meta;
    await this.remove(id);
    return undefined;
  }

  async *records(id: string): AsyncIterable<ScoredLine> {
    const input = createReadStream(join(this.dir, id, 'records.jsonl'), 'utf8');
    try {
      for await (const line of createInterface({ input, crlfDelay: Infinity })) {
        if (line) yield JSON.parse(line) as ScoredLine;
      }
    } finally {
      input.destroy();
    }
  }

  async remove(id: string): Promise<void> {
    if (ID.test(id)) await rm(join(this.dir, id), { recursive: true, force: true });
  }

  /**
   * Deletes every expired upload, and every upload left unfinished by an aborted request or a killed process (no
   * meta.json, not being written now); returns how many remain.
   */
  async sweep(): Promise<number> {
    const ids = (await readdir(this.dir).catch(() => [] as string[])).filter((id) => ID.test(id));
    let kept = 0;
    for (const id of ids) {
      if (await this.get(id)) kept++;
      else if (!this.active.has(id) && !existsSync(join(this.dir, id, 'meta.json'))) await this.remove(id);
    }
    return kept;
  }
}

/**
 * An append-only file written with backpressure; its first error fails every later call. `flush`: fsync'd as it is
 * closed (the records, which meta.json, written durably after them, makes visible: a crash leaves them whole).
 */
function appender(path: string, opts: { flush?: boolean } = {}) {
  const out = createWriteStream(path, { flush: opts.flush ?? false });
  const failed = once(out, 'error').then(([err]) => {
    throw err;
  });
  failed.catch(() => undefined);
  let ended: Promise<unknown> | undefined;
  return {
    async write(text: string) {
      if (!out.write(text)) await Promise.race([once(out, 'drain'), failed]);
    },
    end(): Promise<unknown> {
      ended ??= Promise.race([new Promise((resolve) => out.end(resolve)), failed]);
      return ended;
    },
    destroy: () => out.destroy(),
  };
}
