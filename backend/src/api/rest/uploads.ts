import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import busboy from 'busboy';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { ScoredLine } from '../../types.js';
import type { AppContext } from '../../service/context.js';
import { fail, readJson, readQuery, validate } from '../http.js';
import { asJsonLines } from '../../parsing/json-document.js';
import { asEventLines } from '../../parsing/windows-xml.js';
import { asUtf8, looksBinary, splitLines, wholeLines } from '../../parsing/lines.js';
import { detectFormat } from '../../parsing/index.js';
import { PipelineInputError, Summary, type BatchScorer } from '../../pipeline/index.js';
import type { Model } from '../../models/index.js';
import { openScorer, SEVERITY_PARAM, severitySet } from './scoring.js';
import type { JobQueue, ReportProgress } from './jobs.js';
import { progressOf, TrainingThread } from '../../service/training.js';
import { defaultChoice, fits, formatWarning, type ModelChoice } from './upload-model.js';
import type { UploadMeta, UploadStore } from './upload-store.js';
import { DETECTOR_KINDS, FORMAT_SAMPLE_LINES, MAX_LINE_CHARS } from '@anomalog/contract';

const ACCEPTED = /\.(log|txt|csv|jsonl)(\.gz)?$|\.gz$/i;
const BATCH = 1024;
/**
 * "Learn from this file" learns from the file's first lines, as `anomalog scan` does (at most 100,000 lines and, so
 * that long lines cannot fill the memory, 64 MiB of text); templates and detectors then score every line.
 */
const LEARN_LINES = 100_000;
const LEARN_CHARS = 64 * 2 ** 20;
/** A gzip upload may expand to this many times the upload limit before it is refused. */
const GUNZIP_FACTOR = 10;

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const options = z
  .object({
    model: z.string().min(1).optional(),
    /** Learn a model from the file itself and score the file with it, as `anomalog scan FILE` does. */
    learn: flag.optional(),
    detector: z.enum(DETECTOR_KINDS).optional(),
    seed: z.coerce.number().int().default(42),
    /** false: answer 202 with a job at once (its progress and, when done, the upload as its result). */
    wait: flag.default(true),
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
  })
  .refine((o) => !(o.learn && o.model), { message: 'give either model or learn=true, not both' });
type Options = z.output<typeof options>;

const fitBody = z.object({ lines: z.array(z.string().max(MAX_LINE_CHARS)).min(1).max(FORMAT_SAMPLE_LINES) });

const page = z.object({
  severity: z.string().regex(SEVERITY_PARAM, 'use anomaly, or severities separated by commas').optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const NOT_FOUND = 'no such upload (unknown or expired)';

/** What POST /uploads answers: the upload without its bookkeeping. */
function reply(meta: UploadMeta) {
  const { id, file, model, learned, format, modelFormat, warnings, detector, expiresAt, truncatedLines, summary } =
    meta;
  return { id, file, model, learned, format, modelFormat, warnings, detector, expiresAt, truncatedLines, summary };
}

/** The lines a model is learnt from: the first LEARN_LINES, at most LEARN_CHARS of text. */
async function learningLines(writer: Received['writer']): Promise<string[]> {
  const lines: string[] = [];
  let chars = 0;
  for await (const batch of writer.lines(BATCH)) {
    for (const line of batch) {
      chars += line.length;
      if (lines.length === LEARN_LINES || chars > LEARN_CHARS) return lines;
      lines.push(line);
    }
  }
  return lines;
}

/** The bytes of an upload as UTF-8 (`asUtf8`), a JSON document as JSON lines (`asJsonLines`), Windows events one a line
 * (`asEventLines`); refuses binary data, broken gzip and gzip bombs with a 4xx. */
async function* bytesOf(bytes: Readable, filename: string, gzip: boolean, maxBytes: number): AsyncGenerator<Buffer> {
  let total = 0;
  try {
    for await (const chunk of asEventLines(asJsonLines(asUtf8(bytes as AsyncIterable<Buffer>)))) {
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

/** A received upload: its lines are kept in the store's writer until they are scored. */
interface Received {
  filename: string;
  opts: Options;
  writer: Awaited<ReturnType<UploadStore['create']>>;
  head: string[];
  truncatedLines: number;
}

export function uploadRoutes(ctx: AppContext, deps: { uploads: UploadStore; jobs: JobQueue }): Hono {
  const store = deps.uploads;
  const { uploadBytes, lineBytes } = ctx.config.server.limits;
  const tooBig = () => fail(413, `upload over ${uploadBytes} bytes (server.limits.uploadBytes)`);
  /** One thread learns from uploads, one file after another: concurrent uploads queue rather than add threads. */
  const learning = new TrainingThread();

  /** Keeps one file part's lines as they stream in (on disk, never all in memory); options are checked first. */
  async function keep(file: Readable & { truncated?: boolean }, filename: string, fields: Record<string, string>) {
    const opts = validate(options, fields, 'upload options');
    if (opts.model && !ctx.models.get(opts.model)) fail(404, `no model named "${opts.model}" is loaded`);
    const gzip = /\.gz$/i.test(filename);
    // Before the pipe: while this waited, a corrupt gzip body failed in a gunzip nobody read yet, an uncaught error
    // (a CI run of uploads.test.ts, 7 Dec 2026).
    const writer = await store.create();
    const bytes = file.pipe(gzip ? createGunzip() : new PassThrough());
    // pipe() does not forward errors: an aborted request must end the loop below (and discard the partial upload).
    file.on('error', (err) => bytes.destroy(err));
    try {
      const head: string[] = [];
      let truncatedLines = 0;
      const cut = () => truncatedLines++;
      for await (const chunk of wholeLines(
        bytesOf(bytes, filename, gzip, uploadBytes * (gzip ? GUNZIP_FACTOR : 1)),
        lineBytes,
      )) {
        for (const line of splitLines(chunk, cut, lineBytes)) {
          if (!line.trim()) continue;
          if (head.length < FORMAT_SAMPLE_LINES) head.push(line);
          await writer.keepLine(line);
        }
      }
      if (file.truncated) tooBig();
      return { filename, opts, writer, head, truncatedLines } satisfies Received;
    } catch (err) {
      await writer.discard();
      throw err;
    }
  }

  /** Scores the kept lines with the chosen model (learnt first when so chosen) and commits the upload. */
  async function score(up: Received, report: ReportProgress): Promise<UploadMeta> {
    const { opts, writer } = up;
    try {
      const labels = opts.labels ?? { job: 'upload' };
      const detector = ctx.models.route(labels, opts.detector).detector;
      const format = detectFormat(up.head);
      const choice: ModelChoice =
        opts.learn === true
          ? { learn: true }
          : opts.model
            ? { learn: false, name: opts.model }
            : defaultChoice(ctx, labels, format);
      const warnings: string[] = [];
      let scorer: BatchScorer;
      let model: Model;
      let name: string;
      if (choice.learn) {
        name = up.filename.replace(/(\.gz)?$/i, '').replace(/\.[^.]*$/, '') || 'upload';
        report(0.05, 'learning from the file');
        ({ model } = await learning.run(
          async () => ({
            lines: (await learningLines(writer)).join('\u0000'),
            heldOut: '',
            opts: { name, detector, seed: opts.seed, source: up.filename },
          }),
          (p) => {
            const [share, phase] = progressOf(p);
            report(share * 0.8, phase);
          },
        ));
        scorer = ctx.models.scorerFor(labels, detector, model);
      } else {
        name = choice.name;
        model = ctx.models.get(name) ?? fail(404, `no model named "${name}" is loaded`);
        const warning = formatWarning(name, model, format);
        if (warning) warnings.push(warning);
        scorer = openScorer(ctx, { labels, model: name, detector });
      }
      const summary = new Summary();
      const total = writer.linesKept;
      const record = async (records: ScoredLine[]) => {
        for (const r of records) {
          summary.add(r);
          await writer.write(r);
        }
      };
      for await (const batch of writer.lines(BATCH)) {
        await record(scorer.pushBatch(batch));
        report(0.8 + (0.2 * summary.lines) / Math.max(1, total), `scored ${summary.lines} of ${total} lines`);
        // one batch of 1,024 lines is a few milliseconds of scoring: let requests in between
        await new Promise((resolve) => setImmediate(resolve));
      }
      await record(scorer.end());
      return await writer.commit({
        file: up.filename,
        model: name,
        learned: choice.learn,
        format,
        modelFormat: model.format,
        warnings,
        detector,
        truncatedLines: up.truncatedLines,
        summary: summary.toJSON(),
      });
    } catch (err) {
      await writer.discard();
      if (err instanceof PipelineInputError) fail(422, `cannot learn from ${up.filename}: ${err.message}`);
      throw err;
    }
  }

  /**
   * Parses the multipart body as it arrives. Fields must come before the file part: the options are checked before
   * the file is read, so a field after it is refused rather than ignored.
   */
  function receive(body: ReadableStream<Uint8Array>, headers: Record<string, string>, query: Record<string, string>) {
    return new Promise<Received>((resolve, reject) => {
      const fields: Record<string, string> = { ...query };
      let job: Promise<Received> | undefined;
      let part: Readable | undefined;
      let late: string | undefined;
      let bb: busboy.Busboy;
      try {
        bb = busboy({ headers, limits: { fileSize: uploadBytes, files: 1, fields: 20, fieldSize: 64 * 1024 } });
      } catch (err) {
        reject(new HTTPException(400, { message: `malformed multipart request: ${(err as Error).message}` }));
        return;
      }
      bb.on('field', (name, value) => {
        if (part) late ??= name;
        else fields[name] = value;
      });
      bb.on('file', (_name, file, info) => {
        const filename = info.filename ?? '';
        if (job) return file.resume();
        part = file;
        job = ACCEPTED.test(filename)
          ? keep(file, filename, fields)
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
      bb.on('close', () => {
        const received = job ?? Promise.reject(new HTTPException(400, { message: 'no file part in the form' }));
        if (!late) return received.then(resolve, reject);
        const message =
          `the "${late}" field came after the file: send every field before the file part ` +
          `(curl: -F ${late}=... before -F file=@...)`;
        received.then(
          (up) => up.writer.discard().finally(() => reject(new HTTPException(400, { message }))),
          () => reject(new HTTPException(400, { message })),
        );
      });
      // A client that goes away mid-upload: the part being read fails too, so its partial lines are removed
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
      const up = await receive(body, Object.fromEntries(c.req.raw.headers), c.req.query());
      if (!up.opts.wait) {
        let job;
        try {
          job = deps.jobs.start('upload', async (report) => reply(await score(up, report)));
        } catch (err) {
          await up.writer.discard(); // refused (the queue is full): nothing is left on disk
          throw err;
        }
        return c.json({ job: job.id, status: `/api/v1/jobs/${job.id}` }, 202);
      }
      return c.json(reply(await score(up, () => undefined)), 201);
    })
    .post('/uploads/fit', async (c) => {
      const { lines } = await readJson(c, fitBody);
      const format = detectFormat(lines);
      const choice = defaultChoice(ctx, { job: 'upload' }, format);
      const models = ctx.models.names().map((name) => {
        const model = ctx.models.get(name)!;
        return { name, format: model.format, fits: fits(model, format) };
      });
      return c.json({ format, models, suggested: choice.learn ? { learn: true } : { model: choice.name } });
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
