import type { ParsedLine } from '../types.js';
import type { ColumnsReader } from './csv.js';
import { fromEpoch } from './timestamp.js';
import { webLine } from './web.js';

const FIELDS_DIRECTIVE = '#fields\t';
const NUMBER = /^-?\d+(?:\.\d+)?(?:e[-+]?\d+)?$/i;

export type ZeekFormat = 'zeek' | 'zeek-http';

/**
 * Whether a sample is a Zeek (Bro) log in its TSV form: a `#fields` directive; `zeek-http` when the columns are an
 * HTTP request's (http.log), `zeek` for the others (conn, dns, ssl, files, notice, weird, ...).
 */
export function zeekFormat(lines: readonly string[]): ZeekFormat | undefined {
  const directive = lines.find((l) => l.startsWith(FIELDS_DIRECTIVE));
  if (directive === undefined) return undefined;
  const names = namesOf(directive);
  return names.includes('method') && names.includes('uri') && names.includes('status_code') ? 'zeek-http' : 'zeek';
}

/** Whether a line is the `#fields` directive that names a Zeek log's columns. */
export function isZeekFieldsDirective(line: string): boolean {
  return line.startsWith(FIELDS_DIRECTIVE);
}

/**
 * Zeek's TSV logs: tab-separated columns named by the last `#fields` directive (Zeek writes the directives again at
 * the head of each file, so a concatenation carries them between its parts). Directive lines come back with
 * `header: true`. `ts` is epoch seconds; `-` is an unset value and `(empty)` an empty one.
 * - `zeek-http` (http.log): the web fields of `apache` from `id.orig_h`, `method`, `host`, `uri`, `version`,
 *   `status_code`, `response_body_len`, `referrer`, `user_agent`, `username`;
 * - `zeek`: numbers become `numeric` features (durations, bytes, packets); the other columns become fields and, as
 *   `name=value`, the message the templates are mined from (`proto=tcp service=http conn_state=SF history=ShADadFf`),
 *   leaving out the time, the connection's ids (`uid`, `fuid`) and its endpoints (`id.orig_h`, `id.resp_p`, ...).
 */
export function createZeekParser(format: ZeekFormat, sample?: readonly string[]): ColumnsReader {
  let columns: Columns | undefined;
  for (const line of sample ?? []) if (isZeekFieldsDirective(line)) columns = columnsOf(line);
  return {
    header: () => columns?.directive,
    parse(line) {
      if (line.charCodeAt(0) === 35) {
        if (isZeekFieldsDirective(line)) columns = columnsOf(line);
        return { fields: {}, message: line, raw: line, format, header: true };
      }
      const cells = line.split('\t');
      if (!columns || cells.length !== columns.names.length) return undefined;
      const ts = fromEpoch(Number(cells[columns.at.get('ts') ?? -1]));
      return format === 'zeek-http' ? httpLine(line, columns, cells, ts) : systemLine(line, columns, cells, ts);
    },
  };
}

/** A `#fields` directive's columns: where each name is, and which columns a `zeek` line's message is made of. */
interface Columns {
  directive: string;
  names: string[];
  at: Map<string, number>;
  described: number[];
}

function columnsOf(directive: string): Columns {
  const names = namesOf(directive);
  return {
    directive,
    names,
    at: new Map(names.map((name, i) => [name, i])),
    described: names.flatMap((name, i) => (name === 'ts' || name.startsWith('id.') || ID_COLUMN.test(name) ? [] : [i])),
  };
}

/** A connection's or file's id (`uid`, `fuid`, `conn_uids`, ...): a different value on every line. */
const ID_COLUMN = /(?:^|_)f?uids?$/;

function namesOf(directive: string): string[] {
  return directive.slice(FIELDS_DIRECTIVE.length).split('\t');
}

function httpLine(line: string, columns: Columns, cells: readonly string[], ts: number | undefined) {
  const cell = (name: string) => {
    const v = cells[columns.at.get(name) ?? -1];
    return v === undefined || v === '-' || v === '(empty)' ? undefined : v;
  };
  const version = cell('version');
  const parsed = webLine(line, 'zeek-http', ts, {
    ip: cell('id.orig_h') ?? '-',
    user: cell('username'),
    method: cell('method') ?? '',
    target: cell('uri') ?? '',
    protocol: version && `HTTP/${version}`,
    status: cell('status_code') ?? '',
    bytes: cell('response_body_len'),
    referer: cell('referrer'),
    ua: cell('user_agent'),
  });
  const host = cell('host');
  if (parsed && host) parsed.fields.host = host;
  return parsed;
}

function systemLine(line: string, columns: Columns, cells: readonly string[], ts: number | undefined) {
  const out: ParsedLine = { ts, fields: {}, message: '', raw: line, format: 'zeek' };
  const numeric: Record<string, number> = {};
  const words: string[] = [];
  for (const i of columns.described) {
    const name = columns.names[i];
    const v = cells[i];
    if (NUMBER.test(v)) numeric[name] = Number(v);
    else {
      out.fields[name] = v;
      words.push(`${name}=${v}`);
    }
  }
  out.message = words.join(' ');
  if (words.length < columns.described.length) out.numeric = numeric;
  for (const name of CONNECTION) {
    const at = columns.at.get(name);
    if (at !== undefined) out.fields[name] = cells[at];
  }
  return out;
}

/** A connection's source host and destination, as fields (no part of the message: every line has others). */
const CONNECTION = ['id.orig_h', 'id.resp_h', 'id.resp_p'];
