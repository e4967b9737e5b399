import type { FormatName, ParsedLine } from '../types.js';
import { parseAccess } from './access.js';
import { createCsvParser, headerOf, isVpcFlowLog, isVpcFlowRow, VPC_FLOW_HEADER, type ColumnsReader } from './csv.js';
import { parseColumns } from './columns.js';
import { createCustomParser } from './custom.js';
import { parseGeneric } from './generic.js';
import { parseHdfs } from './hdfs.js';
import { headerParser, isHeaderFormat, parseHeader } from './header.js';
import { parseJsonAccess, parseLogfmtAccess, readJsonAccess, readLogfmtAccess } from './keyed-access.js';
import { parseJson } from './json.js';
import { parseLogfmt } from './logfmt.js';
import { parseSyslog } from './syslog.js';
import { dateOrderOf, type DateOrder } from './timestamp.js';
import { createW3cParser, isW3c } from './w3c.js';
import { createZeekParser, zeekFormat } from './zeek.js';
import { parseWeb } from './web.js';
import { parseWindowsXml } from './windows-xml.js';
import { withoutAnsi } from './text.js';
import { envelopeOf, unwrap, unwrapAny, type Envelope, type Unwrapped } from './envelope.js';

export interface LineParser {
  readonly format: FormatName;
  /** How it reads a numeric date both of whose first numbers could be the month (given, or told by the sample). */
  readonly dateOrder?: DateOrder;
  /** The line naming the columns, once read (CSV's header row, W3C's `#Fields:`): a model keeps it. */
  header(): string | undefined;
  /** Whether that line comes after a preamble of prose (Windows' DHCP server log): a model keeps that too. */
  preamble(): boolean;
  /** The container runtime's envelope each line comes in, read off before the format parses it: a model keeps it. */
  readonly envelope?: Envelope;
  /** Never throws: a line the format does not match comes back parsed as `generic`. */
  parse(raw: string): ParsedLine;
}

type FormatParse = (line: string) => ParsedLine | undefined;

/** Formats tried on each sample line, most specific first; the first that parses a line gets its vote. */
const DETECTORS: readonly [FormatName | 'header', FormatParse][] = [
  ['windows-xml', parseWindowsXml],
  ['json-access', parseJsonAccess],
  ['json', parseJson],
  ['hdfs', parseHdfs],
  // Application headers (log4j, oslo, CBS, error logs, ...) vote for the format the line's pieces name.
  [
    'header',
    (line) => {
      const p = parseHeader(line);
      return p && p.format !== 'timestamped' ? p : undefined;
    },
  ],
  ['apache', (line) => parseWeb(line, 'apache')],
  // Before syslog: HAProxy's HTTP log and Heroku's router log come in syslog lines.
  ['access', parseAccess],
  ['logfmt-access', parseLogfmtAccess],
  ['syslog', parseSyslog],
  ['logfmt', parseLogfmt],
  ['header', parseHeader],
  ['columns', parseColumns],
];
const SAMPLE_LINES = 100;
/** `columns` reads a time out of a line's middle: it is the format only when this share of the sample has one. */
const COLUMNS_AGREEMENT = 0.8;

/**
 * The format of a stream from its first non-empty lines: W3C when a `#Fields:` directive names a request's parts, CSV
 * when a header row is followed by rows of its width, else the format that parses most lines (web lines with a
 * response time vote nginx); generic when none.
 */
export function detectFormat(sample: readonly string[]): FormatName {
  return detectStream(sample).format;
}

/**
 * The format of a stream, and the container runtime's envelope its lines come in (envelope.ts) when the lines inside
 * have a format of their own (not `generic`): then the format is theirs.
 */
export function detectStream(sample: readonly string[]): { format: FormatName; envelope?: Envelope } {
  const lines: string[] = [];
  for (const raw of sample) {
    const line = cleanLine(raw);
    if (line.trim() !== '') lines.push(line);
    if (lines.length >= SAMPLE_LINES) break;
  }
  const envelope = envelopeOf(lines);
  if (envelope) {
    const format = formatOf(lines.map((l) => unwrap(l, envelope)?.line ?? l));
    if (format !== 'generic') return { format, envelope };
  }
  return { format: formatOf(lines) };
}

/** detectFormat of clean, non-blank lines. */
function formatOf(lines: readonly string[]): FormatName {
  if (isW3c(lines)) return 'w3c';
  const zeek = zeekFormat(lines);
  if (zeek) return zeek;
  if (isCsv(lines) || isVpcFlowLog(lines)) return 'csv';
  const votes = new Map<FormatName, number>();
  for (const line of lines) {
    for (const [format, parse] of DETECTORS) {
      const parsed = tryParse(parse, line);
      if (!parsed) continue;
      const vote =
        format === 'header' ? parsed.format : format === 'apache' && parsed.fields.rt !== undefined ? 'nginx' : format;
      votes.set(vote, (votes.get(vote) ?? 0) + 1);
      break;
    }
  }
  let best: FormatName = 'generic';
  let bestVotes = 0;
  for (const [format, n] of votes) {
    if (format === 'columns' && n < COLUMNS_AGREEMENT * lines.length) continue;
    if (n > bestVotes) [best, bestVotes] = [format, n];
  }
  return best;
}

function isCsv(lines: readonly string[]): boolean {
  return headerOf(lines)?.table === true;
}

export interface ParserOptions {
  sample?: readonly string[];
  pattern?: string;
  /** The stream's order of numeric dates; by default what `sample` tells (dateOrderOf). */
  dateOrder?: DateOrder;
  /** CSV: prose comes before the header line, which `sample` holds alone (a model's parserState.preamble). */
  preamble?: boolean;
  /** The lines' envelope (a model's parserState.envelope); with `auto`, what `sample` tells (detectStream). */
  envelope?: Envelope;
}

/**
 * A parser for one stream. `auto` detects the format from `sample`; `custom` needs `pattern` (a named-group regex);
 * CSV takes its header from `sample[0]` or else the first line parsed. Throws only on a bad configuration.
 */
export function createParser(format: FormatName | 'auto', opts: ParserOptions = {}): LineParser {
  const raws = opts.sample?.map(cleanLine);
  const detected = format === 'auto' ? detectStream(raws ?? []) : { format, envelope: opts.envelope };
  const { format: chosen, envelope } = detected;
  const sample = envelope ? raws?.map((l) => unwrap(l, envelope)?.line ?? l) : raws;
  const dateOrder = opts.dateOrder ?? dateOrderOf(sample ?? []);
  const reader = formatReader(chosen, { ...opts, sample }, dateOrder);
  const parseFormat = typeof reader === 'function' ? reader : reader.parse;
  const parseLine = (line: string): ParsedLine => {
    try {
      // The format reads a blank line too: it may be part of a record (a CSV cell's empty line).
      const parsed = parseFormat(line);
      if (isBlank(line) && !parsed?.header) return { fields: {}, message: '', raw: line, format: chosen, header: true };
      return parsed ?? parseGeneric(line, dateOrder);
    } catch {
      return { fields: {}, message: line, raw: line, format: 'generic' };
    }
  };
  return {
    format: chosen,
    dateOrder,
    envelope,
    header: () => (typeof reader === 'function' ? undefined : reader.header()),
    preamble: () => typeof reader !== 'function' && reader.preamble?.() === true,
    parse(raw) {
      const line = cleanLine(raw);
      const inner = envelope && unwrap(line, envelope);
      if (inner) return parseInner(inner);
      const p = parseLine(line);
      if (envelope || p.format !== 'generic') return p;
      // A model made from plain lines (a shipped one) reads a line its format did not inside any envelope it has.
      const found = unwrapAny(line);
      return found ? parseInner(found) : p;
    },
  };

  function parseInner(inner: Unwrapped): ParsedLine {
    const p = parseLine(cleanLine(inner.line));
    p.ts ??= inner.ts;
    if (inner.stream) p.fields.stream ??= inner.stream;
    return p;
  }
}

function formatReader(
  format: FormatName,
  opts: ParserOptions,
  order: DateOrder | undefined,
): FormatParse | ColumnsReader {
  switch (format) {
    case 'apache':
    case 'nginx':
      return (line) => parseWeb(line, format);
    case 'w3c':
      return createW3cParser(opts.sample);
    case 'zeek':
    case 'zeek-http':
      return createZeekParser(format, opts.sample);
    case 'json-access':
      return readJsonAccess;
    case 'logfmt-access':
      return readLogfmtAccess;
    case 'access':
      return parseAccess;
    case 'hdfs':
      return parseHdfs;
    case 'windows-xml':
      return parseWindowsXml;
    case 'syslog':
      return parseSyslog;
    case 'json':
      return parseJson;
    case 'logfmt':
      return parseLogfmt;
    case 'columns':
      return parseColumns;
    case 'csv': {
      const head = headerOf(opts.sample ?? []);
      if (head !== undefined && isVpcFlowRow(head.header)) return createCsvParser(VPC_FLOW_HEADER, order);
      return createCsvParser(head?.header, order, opts.preamble ?? head?.preamble === true);
    }
    case 'custom':
      if (!opts.pattern) throw new Error("format 'custom' needs a pattern (a regex with named groups)");
      return createCustomParser(opts.pattern, order);
    case 'generic':
      return (line) => parseGeneric(line, order);
    default:
      if (isHeaderFormat(format)) return headerParser(format, order);
      return (line) => parseGeneric(line, order);
  }
}

/** A format's parse during detection, with anything a pathological line makes it throw read as no match. */
function tryParse(parse: FormatParse, line: string): ParsedLine | undefined {
  try {
    return parse(line);
  } catch {
    return undefined;
  }
}

/**
 * A line of nothing but spaces: no row of the log (an empty line after a header, between records), read as a header
 * line is, not learnt and never flagged. Before, every format's blank line was a template of its own, seen once: a
 * blank line amid Linux's syslog scored `low` as a rare template and a message of 0 characters.
 */
export function isBlank(line: string): boolean {
  return line.trim() === '';
}

/** A line without its end-of-line characters and terminal colour codes (`withoutAnsi`). */
function cleanLine(raw: string): string {
  let end = raw.length;
  while (end > 0 && (raw.charCodeAt(end - 1) === 10 || raw.charCodeAt(end - 1) === 13)) end--;
  return withoutAnsi(end === raw.length ? raw : raw.slice(0, end));
}
