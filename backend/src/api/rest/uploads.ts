import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import busboy from 'busboy';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { ScoredLine } from '../../types.js';
import type { AppContext } from '../../service/context.js';
import { fail, readQuery, validate } from '../http.js';
import { looksBinary, splitLines, wholeLines } from '../../parsing/lines.js';
import { Summary } from '../../pipeline/index.js';
import { openScorer, SEVERITY_PARAM, severitySet } from './scoring.js';
import type { UploadMeta, UploadStore } from './upload-store.js';
import { DETECTOR_KINDS } from '@anomalog/contract';

const ACCEPTED = /\.(log|txt|csv|jsonl)(\.gz)?$|\.gz$/i;
const BATCH = 1024;
/** A gzip upload may expand to this many times the upload limit before it is refused. */
const GUNZIP_FACTOR = 10;

const options = z.object({
  model: z.string().min(1).optional(),
  detector: z.enum(DETECTOR_KINDS).optional(),
  labels: z
    .string()
    .transform((s, c) => {
      try {
        return z.record(z.string(), z.string()).parse(JSON.parse(s));
      } catch {
        c.addIssue({ code: 'custom', message: 'must be a JSON object of string labels' });
        return z.NEVER;
      }
    })
    .optional(),
});

const page = z.object({
  severity: z.string().regex(SEVERITY_PARAM, 'use anomaly, or severities separated by commas').optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const NOT_FOUND = 'no such upload (unknown or expired)';

/** The bytes of an upload; refuses binary data, broken gzip and gzip bombs with a 4xx. */
async function* bytesOf(bytes: Readable, filename: string, gzip: boolean, maxBytes: number): AsyncGenerator<Buffer> {
  let total = 0;
  try {
    for await (const chunk of bytes as AsyncIterable<Buffer>) {
      if (total === 0 && looksBinary(chunk.subarray(0, 4096).toString('utf8')))
        fail(422, `${filename} holds binary data, not log lines`);
      total += chunk.length;
      if (total > maxBytes) fail(413, `${filename} expands past ${maxBytes} bytes`);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof HTTPException) throw err;
    fail(422, gzip ? `${filename} is not valid gzip` : `cannot read ${filename}`);
  }
}

export function uploadRoutes(ctx: AppContext, store: UploadStore): Hono {
  const { uploadBytes, lineBytes } = ctx.config.server.limits;
  const tooBig = () => fail(413, `upload over ${uploadBytes} bytes (server.limits.uploadBytes)`);

  /** Scores one file part as it streams in; the records go to the store, never all in memory. */
  async function ingest(file: Readable & { truncated?: boolean }, filename: string, fields: Record<string, string>) {
    const opts = validate(options, fields, 'upload options');
    const labels = opts.labels ?? { job: 'upload' };
    const routed = ctx.models.route(labels, opts.detector);
    const model = opts.model ?? routed.model;
    const scorer = openScorer(ctx, { labels, model, detector: routed.detector });
    const gzip = /\.gz$/i.test(filename);
    const bytes = file.pipe(gzip ? createGunzip() : new PassThrough());
    // pipe() does not forward errors: an aborted request must end the loop below (and discard the partial upload).
    file.on('error', (err) => bytes.destroy(err));
    const writer = await store.create();
    const summary = new Summary();
    const keep = async (records: ScoredLine[]) => {
      for (const r of records) {
        summary.add(r);
        await writer.write(r);
      }
    };
    try {
      let truncatedLines = 0;
      let batch: string[] = [];
      const cut = () => truncatedLines++;
      for await (const chunk of wholeLines(
        bytesOf(bytes, filename, gzip, uploadBytes * (gzip ? GUNZIP_FACTOR : 1)),
        lineBytes,
      )) {
        for (const line of splitLines(chunk, cut, lineBytes)) {
          if (!line.trim()) continue;
          batch.push(line);
          if (batch.length === BATCH) {
            await keep(scorer.pushBatch(batch));
            batch = [];
          }
        }
      }
      await keep(scorer.pushBatch(batch).concat(scorer.end()));
      if (file.truncated) tooBig();
      return await writer.commit({
        file: filename,
        model,
        detector: routed.detector,
        truncatedLines,
        summary: summary.toJSON(),
      });
    } catch (err) {
      await writer.discard();
      throw err;
    }
  }

  /** Parses the multipart body as it arrives; fields must come before the file part. */
  function receive(body: ReadableStream<Uint8Array>, headers: Record<string, string>, query: Record<string, string>) {
    return new Promise<UploadMeta>((resolve, reject) => {
      const fields: Record<string, string> = { ...query };
      let job: Promise<UploadMeta> | undefined;
      let part: Readable | undefined;
      let bb: busboy.Busboy;
      try {
        bb = busboy({ headers, limits: { fileSize: uploadBytes, files: 1, fields: 20, fieldSize: 64 * 1024 } });
      } catch (err) {
        reject(new HTTPException(400, { message: `malformed multipart request: ${(err as Error).message}` }));
        return;
      }
      bb.on('field', (name, value) => (fields[name] = value));
      bb.on('file', (_name, file, info) => {
        const filename = info.filename ?? '';
        if (job) return file.resume();
        part = file;
        job = ACCEPTED.test(filename)
          ? ingest(file, filename, fields)
          : Promise.reject(
              new HTTPException(415, { message: `"${filename}" is not a .log, .csv, .txt, .jsonl or .gz file` }),
            );
        // whatever happened, drain the part so busboy reaches the end of the body
        job.catch(() => {
          file.unpipe();
          file.resume();
        });
      });
      bb.on('error', () => reject(new HTTPException(400, { message: 'malformed multipart body' })));
      bb.on('close', () =>
        (job ?? Promise.reject(new HTTPException(400, { message: 'no file part in the form' }))).then(resolve, reject),
      );
      // A client that goes away mid-upload: the part being scored fails too, so its partial records are removed
      // (writer.discard) and its file descriptor closed, instead of waiting forever for bytes that will not come.
      const aborted = (err: Error) => {
        part?.destroy(err);
        bb.destroy(err);
        (job ?? Promise.resolve())
          .catch(() => undefined)
          .finally(() => reject(new HTTPException(400, { message: 'the upload was interrupted' })));
      };
      Readable.fromWeb(body as NodeWebStream<Uint8Array>)
        .on('error', aborted)
        .pipe(bb);
    });
  }

  async function found(id: string): Promise<UploadMeta> {
    return (await store.get(id)) ?? fail(404, NOT_FOUND);
  }

  return new Hono()
    .post('/uploads', async (c) => {
      if (!/^multipart\/form-data/i.test(c.req.header('content-type') ?? '')) {
        fail(415, 'send the file as multipart/form-data');
      }
      if (Number(c.req.header('content-length')) > uploadBytes + 1024 * 1024) tooBig();
      const body = c.req.raw.body ?? fail(400, 'empty body');
      await store.sweep();
      const meta = await receive(body, Object.fromEntries(c.req.raw.headers), c.req.query());
      const { id, file, model, expiresAt, truncatedLines, summary } = meta;
      return c.json({ id, file, model, expiresAt, truncatedLines, summary }, 201);
    })
    .get('/uploads/:id', async (c) => c.json(await found(c.req.param('id'))))
    .get('/uploads/:id/records', async (c) => {
      const q = readQuery(c, page);
      const meta = await found(c.req.param('id'));
      const wanted = severitySet(q.severity);
      const records: ScoredLine[] = [];
      let seen = 0;
      for await (const r of store.records(meta.id)) {
        if (!wanted.has(r.severity) || seen++ < q.offset) continue;
        records.push(r);
        if (records.length === q.limit) break;
      }
      const total = [...wanted].reduce((sum, severity) => sum + meta.summary.bySeverity[severity], 0);
      return c.json({ id: meta.id, total, offset: q.offset, limit: q.limit, records });
    })
    .delete('/uploads/:id', async (c) => {
      await store.remove((await found(c.req.param('id'))).id);
      return c.body(null, 204);
    });
}
