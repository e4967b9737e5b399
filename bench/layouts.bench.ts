/**
 * The same 1,000,000 requests (bench/scan.bench.ts's access log) written as Apache combined, nginx JSON
 * (`log_format ... escape=json`) and IIS's W3C extended log, each scanned self-trained (`anomalog scan FILE --json`):
 * seconds, peak RSS, lines flagged, and the share of requests flagged alike in each layout and in combined. How a
 * server writes its log should change neither what is found nor, much, what it costs. Lines the combined parser does
 * not read stay as they are in every layout.
 */
import { createReadStream, existsSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createParser } from '../backend/src/parsing/index.js';
import { accessLog, CACHE, round, timeAnomalog } from './cli-run.js';
import { W3C_FIELDS, w3cRow } from './http-params-data.js';

const LINES = 1_000_000;
type Layout = 'combined' | 'json' | 'w3c';

async function written(layout: Layout): Promise<{ path: string; directives: number }> {
  const combined = accessLog(LINES);
  if (layout === 'combined') return { path: combined, directives: 0 };
  const path = join(CACHE, `access_1m.${layout}.log`);
  const directives = layout === 'w3c' ? ['#Software: Microsoft Internet Information Services 10.0', W3C_FIELDS] : [];
  if (!existsSync(path)) {
    process.stderr.write(`writing ${path}\n`);
    const apache = createParser('apache');
    const out = [...directives];
    for (const line of (await readFile(combined, 'utf8')).split('\n')) {
      if (!line) continue;
      const p = apache.parse(line);
      const f = p.fields;
      if (p.format !== 'apache' || p.ts === undefined) {
        out.push(line);
        continue;
      }
      const target = f.query ? `${f.path}?${f.query}` : f.path;
      if (layout === 'json')
        out.push(
          JSON.stringify({
            time_iso8601: new Date(p.ts).toISOString(),
            remote_addr: f.ip,
            request: `${f.method} ${target} ${f.protocol}`,
            status: Number(f.status),
            body_bytes_sent: Number(f.bytes),
            http_referer: f.referer,
            http_user_agent: f.ua,
          }),
        );
      else
        out.push(
          w3cRow({
            time: p.ts,
            method: f.method,
            path: f.path,
            query: f.query,
            ip: f.ip,
            ua: f.ua,
            referer: f.referer,
            status: f.status,
            bytes: f.bytes,
            ms: 15,
          }),
        );
    }
    writeFileSync(path, `${out.join('\n')}\n`);
  }
  return { path, directives: directives.length };
}

/** The `anomaly` flag of each input line in a `--json` output file. */
async function flagsOf(file: string): Promise<Uint8Array> {
  const flags = new Uint8Array(LINES + 8);
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    const o = JSON.parse(line) as { line: number; anomaly: boolean };
    if (o.line < flags.length) flags[o.line] = o.anomaly ? 1 : 0;
  }
  return flags;
}

const rows: Record<string, string | number>[] = [];
let base: Uint8Array | undefined;
for (const layout of ['combined', 'json', 'w3c'] as const) {
  const { path, directives } = await written(layout);
  const out = join(CACHE, `layouts-${layout}.jsonl`);
  process.stderr.write(`scan ${layout}\n`);
  const timed = await timeAnomalog(['scan', path, '--json'], out);
  const flags = (await flagsOf(out)).subarray(directives);
  rmSync(out);
  base ??= flags;
  let flagged = 0;
  let alike = 0;
  for (let i = 1; i <= LINES; i++) {
    flagged += flags[i];
    if (flags[i] === base[i]) alike++;
  }
  rows.push({
    name: `scan --json, self-trained, ${layout}`,
    lines: LINES,
    seconds: round(timed.seconds, 2),
    lines_per_s: Math.round(LINES / timed.seconds),
    peak_rss_mb: timed.peakRssMb,
    flagged,
    flagged_alike_to_combined: round(alike / LINES, 4),
  });
}

console.log(JSON.stringify({ section: 'the same 1M requests in three access-log layouts (one scan each)', rows }));
