import type { ParsedLine } from '../types.js';
import { normalizeLevel } from './level.js';
import { parseTimestampValue, type DateOrder } from './timestamp.js';

const HEADER_CELL = /^[A-Za-z_@][\w .\-@/()%#]{0,63}$/;
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
/** A row's time: a column named for it, or AWS VPC flow logs' `start` (the flow's first packet, Unix seconds). */
const TIME_COLUMN = /time|date|^ts$|^start$/i;
const LEVEL_COLUMN = /^(?:level|lvl|severity|log_?level)$/i;
/** Windows events' level by name, preferred: their `Level` column is a number on Windows' own scale (4: information). */
const LEVEL_NAME_COLUMN = /^leveldisplayname$/i;
const MESSAGE_COLUMN = /^(?:message|msg|log|text|content|description)$/i;
/**
 * Most characters of a record whose quoted cell goes on over lines (Windows Event Viewer's and PowerShell's
 * `Export-Csv` exports write an event's description whole, 10-40 lines): past this, a quote left open is a broken
 * line, and the lines after it are rows again.
 */
const MAX_RECORD_CHARS = 64 * 1024;

const COMMA = 44;
const TAB = 9;
const SPACE = 32;
/**
 * Names a header of space-separated columns has at least: fewer words that are all names are as likely a sentence
 * (a banner line) as a header.
 */
const MIN_SPACED_COLUMNS = 4;

/**
 * The delimiter of a header line: a tab when its tab-separated cells are names (Event Viewer's "Text (Tab delimited)"
 * export, database dumps); spaces when, without tabs, commas or quotes, its words are MIN_SPACED_COLUMNS names or more
 * (AWS VPC flow logs' `version account-id interface-id srcaddr dstaddr ...`, tables aligned with spaces); else a comma.
 */
function delimiterOf(header: string): number {
  if (header.includes('\t')) {
    const cells = splitCsv(header, TAB);
    return cells && cells.length >= 2 && cells.every(isName) ? TAB : COMMA;
  }
  if (header.includes(',') || header.includes('"')) return COMMA;
  const words = splitSpaced(header);
  return words.length >= MIN_SPACED_COLUMNS && words.every(isName) ? SPACE : COMMA;
}

const isName = (cell: string): boolean => HEADER_CELL.test(cell.trim()) && !NUMBER.test(cell.trim());

/**
 * Cells of one record (RFC 4180 quoting, `""` inside quotes) split at `sep` (a character code); undefined when a quote
 * is left open.
 */
export function splitCsv(line: string, sep = COMMA): string[] | undefined {
  if (sep === SPACE) return splitSpaced(line);
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34) {
      let cell = '';
      let from = i + 1;
      for (;;) {
        const q = line.indexOf('"', from);
        if (q < 0) return undefined;
        cell += line.slice(from, q);
        if (line.charCodeAt(q + 1) !== 34) {
          i = q + 1;
          break;
        }
        cell += '"';
        from = q + 2;
      }
      cells.push(cell);
      if (i < line.length && line.charCodeAt(i) !== sep) return undefined;
    } else {
      const end = line.indexOf(sep === COMMA ? ',' : '\t', i);
      cells.push(line.slice(i, end < 0 ? line.length : end));
      i = end < 0 ? line.length : end;
    }
    if (i >= line.length) return cells;
    i++;
  }
}

const SPACES = / +/;

/** The cells of a row of columns separated by runs of spaces (no quoting: a cell has no space). */
function splitSpaced(line: string): string[] {
  return line.trim().split(SPACES);
}

/**
 * Whether a quoted cell is open at the end of `line`, given whether one was at its start: `""` inside a quoted cell is
 * a quote, and a quote opens a cell only at the cell's start. One pass over the line, so a record over many lines
 * costs its length, not its length times its lines.
 */
function quoteOpenAfter(line: string, open: boolean, sep: number): boolean {
  let cellStart = !open;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (open) {
      if (c !== 34) continue;
      if (line.charCodeAt(i + 1) === 34) i++;
      else open = false;
    } else if (c === 34 && cellStart) open = true;
    else cellStart = c === sep;
  }
  return open;
}

/**
 * The records of `lines`: a line that leaves a quote open goes on with the next ones until the quote closes (joined
 * by `\n`), at most MAX_RECORD_CHARS.
 */
export function csvRecords(lines: readonly string[], sep = COMMA): string[] {
  if (sep === SPACE) return lines.slice();
  const out: string[] = [];
  let open: string | undefined;
  for (const line of lines) {
    const record = open === undefined ? line : `${open}\n${line}`;
    if (!quoteOpenAfter(line, open !== undefined, sep) || record.length > MAX_RECORD_CHARS) {
      out.push(record);
      open = undefined;
    } else open = record;
  }
  if (open !== undefined) out.push(open);
  return out;
}

/**
 * Whether a row of `cells` cells fits a header of `names` split at `sep`: as many, or one more, the message the header
 * does not name (Windows Event Viewer's CSV export names `Level,Date and Time,Source,Event ID,Task Category` and adds
 * the event's description to each row). Columns split at spaces fit only as many: one more could be any line of one
 * more word than a first line of words.
 */
function fitsHeader(cells: number, names: number, sep = COMMA): boolean {
  return cells === names || (cells === names + 1 && sep !== SPACE);
}

/** The first line of PowerShell's `Export-Csv` (Windows PowerShell 5.1, without `-NoTypeInformation`). */
export function isTypeLine(line: string): boolean {
  return line.startsWith('#TYPE ');
}

const FIELDS_DIRECTIVE = '#Fields:';
/** A W3C-style directive: `#Version: 1.5`, `#Software: Microsoft Windows Firewall`, `#Time Format: Local`, `#Fields: ...`. */
const DIRECTIVE = /^#[A-Za-z][\w -]{0,31}:/;

/** Whether a line is the `#Fields:` directive that names the columns of a W3C extended log or a log of its layout. */
export function isFieldsDirective(line: string): boolean {
  return line.startsWith(FIELDS_DIRECTIVE);
}

/** The names of a header line: a `#Fields:` directive's without the directive. */
export function namesOf(header: string): string {
  return isFieldsDirective(header) ? header.slice(FIELDS_DIRECTIVE.length).trim() : header;
}

/** Share of the rows after a header that must fit it (`rowsFit`) for lines to be read as its table. */
const ROW_AGREEMENT = 0.8;
/**
 * Lines a header may come after, and rows it needs after them: Windows' DHCP server log (DhcpSrvLog-*.log) explains
 * its event ids in 33 lines before its header row.
 */
const MAX_PREAMBLE = 64;
const MIN_ROWS_AFTER_PREAMBLE = 5;

/**
 * Whether `header` is a header row, two or more cells each a short name (split at a comma or, all of them, at tabs or
 * spaces: `delimiterOf`), and most of `rows` are its rows (`rowsFit`).
 */
function isTable(header: string, rows: readonly string[]): boolean {
  if (rows.length === 0) return false;
  const { sep, cells } = headerCells(header);
  return !!cells && cells.length >= 2 && cells.every(isName) && rowsFit(cells.length, sep, rows);
}

/**
 * The header of a sample and the rows after it, and whether they are a table (`isTable`): after PowerShell's `#TYPE`
 * line, its first line, or the `#Fields:` directive among the directives it starts with (Windows Firewall's
 * pfirewall.log, Exchange's message tracking logs: W3C's layout, no web log); when that is no table, the first line
 * of the next MAX_PREAMBLE that is one, with MIN_ROWS_AFTER_PREAMBLE rows or more (a preamble of prose before it).
 */
export function headerOf(
  sample: readonly string[],
): { header: string; rows: readonly string[]; table: boolean; preamble?: true } | undefined {
  const lines = sample.filter((l) => l.trim() !== '');
  const from = lines.length > 0 && isTypeLine(lines[0]) ? 1 : 0;
  let at = from;
  while (at < lines.length && DIRECTIVE.test(lines[at])) at++;
  const fields = lines.slice(from, at).filter(isFieldsDirective);
  if (fields.length > 0) {
    const [header, rows] = [fields[fields.length - 1], lines.slice(at)];
    return { header, rows, table: isTable(header, rows) };
  }
  if (from >= lines.length) return undefined;
  const first = { header: lines[from], rows: lines.slice(from + 1) };
  if (isTable(first.header, first.rows)) return { ...first, table: true };
  for (let i = from + 1; i < Math.min(lines.length, from + MAX_PREAMBLE); i++) {
    const rows = lines.slice(i + 1);
    if (rows.length >= MIN_ROWS_AFTER_PREAMBLE && isTable(lines[i], rows))
      return { header: lines[i], rows, table: true, preamble: true };
  }
  return { ...first, table: false };
}

/**
 * A date column's numeric date with its year in full: `04/25/26` as `04/25/2026` (Windows' DHCP server log, Excel's
 * short dates), a year under 70 in this century.
 */
function fullYear(date: string): string {
  const m = SHORT_YEAR.exec(date);
  return m ? `${m[1]}${Number(m[3]) < 70 ? 20 : 19}${m[3]}` : date;
}

const SHORT_YEAR = /^(\d{1,2}([/.-])\d{1,2}\2)(\d{2})$/;

/** A cell's text up to its first line break. */
function firstLine(cell: string): string {
  const end = cell.indexOf('\n');
  return end < 0 ? cell : cell.slice(0, end);
}

/**
 * AWS VPC flow logs' default fields (version 2): the header line the files delivered to S3 begin with. Events read
 * from CloudWatch Logs come without it, and their rows are told by their shape (`isVpcFlowRow`).
 */
export const VPC_FLOW_HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
/** A default-format flow record: `2 123456789010 eni-1235b8ca123456789 ... 1418530010 1418530070 ACCEPT OK`. */
const VPC_FLOW_ROW =
  /^2 \d{12} eni-[0-9a-f]{1,32}(?: \S{1,45}){7} \d{10} \d{10} (?:ACCEPT|REJECT|-) (?:OK|NODATA|SKIPDATA)$/;

export function isVpcFlowRow(line: string): boolean {
  return VPC_FLOW_ROW.test(line);
}

/** AWS VPC flow records without their header line (as CloudWatch Logs holds them): read by VPC_FLOW_HEADER. */
export function isVpcFlowLog(lines: readonly string[]): boolean {
  return lines.length > 0 && lines.filter(isVpcFlowRow).length >= ROW_AGREEMENT * lines.length;
}

/** A header line's cells (a `#Fields:` directive's without the directive), and the delimiter they are split at. */
function headerCells(header: string): { sep: number; cells: string[] | undefined } {
  const names = namesOf(header);
  const sep = delimiterOf(names);
  return { sep, cells: splitCsv(names, sep) };
}

/**
 * Whether at least ROW_AGREEMENT of the records in `rows` fit a header of `width` cells split at `sep` (`fitsHeader`);
 * split at spaces, also a column holds numbers in that share of them (a time, a port, a count), which a header of
 * words followed by lines of as many words (`INFO user login ok`) does not.
 */
function rowsFit(width: number, sep: number, rows: readonly string[]): boolean {
  const cells = csvRecords(rows, sep).map((r) => splitCsv(r, sep));
  const fit = cells.filter((c): c is string[] => !!c && fitsHeader(c.length, width, sep));
  if (fit.length < ROW_AGREEMENT * cells.length) return false;
  if (sep !== SPACE) return true;
  for (let col = 0; col < width; col++)
    if (fit.filter((c) => NUMBER.test(c[col])).length >= ROW_AGREEMENT * cells.length) return true;
  return false;
}

/** A parser whose lines are read by a header line's names: CSV's header row, W3C's `#Fields:` directive. */
export interface ColumnsReader {
  parse(line: string): ParsedLine | undefined;
  /** The header line in use, once read: what a model keeps to read its lines again (parserState.header). */
  header(): string | undefined;
  /** Whether lines of prose come before the header line (parserState.preamble). */
  preamble?(): boolean;
}

interface Columns {
  line: string;
  /** Named by a `#Fields:` directive: the other `#` directives are no rows either. */
  directive: boolean;
  sep: number;
  names: string[];
  time: number;
  /** A `time` column beside a `date` column (W3C's layout): the time of day of `time`'s date. */
  timeOfDay: number;
  level: number;
  message: number;
}

function columnsOf(line: string): Columns {
  const { sep, cells } = headerCells(line);
  const names = (cells ?? [namesOf(line)]).map((c) => c.trim());
  const date = names.findIndex((n) => /^date$/i.test(n));
  const timeOfDay = date < 0 ? -1 : names.findIndex((n) => /^time$/i.test(n));
  return {
    line,
    directive: isFieldsDirective(line),
    sep,
    names,
    time: timeOfDay >= 0 ? date : names.findIndex((n) => TIME_COLUMN.test(n)),
    timeOfDay,
    level: [LEVEL_NAME_COLUMN, LEVEL_COLUMN].map((re) => names.findIndex((n) => re.test(n))).find((i) => i >= 0) ?? -1,
    message: names.findIndex((n) => MESSAGE_COLUMN.test(n)),
  };
}

/**
 * CSV with a header: the header comes from `header` or else the first line parsed (after PowerShell's `#TYPE` line),
 * and comes back with `header: true`. Numeric cells become `numeric`, a time-like column `ts`, a level column
 * `level`, a message column `message` (else a last cell the header does not name, else the text cells joined by
 * spaces), the other cells `fields`. A record whose quoted cell goes on over lines is read at one of its lines, with
 * the cell's first line as its text (an event's description says what happened there: `An account failed to log
 * on.`): at its first line when that line holds every cell, the last one open (Event Viewer's export), else at its
 * last line (PowerShell's `Export-Csv`, the message first). Its other lines come back with `header` and `continued`.
 * A line that reads as a row of its own with a time (a quote left open by a broken line) starts a record again.
 * With `preamble` (its header came after prose, `headerOf`), lines that are no rows before the header's line comes
 * are that prose (`header: true`), at most MAX_PREAMBLE of them.
 */
export function createCsvParser(header?: string, order?: DateOrder, preamble = false): ColumnsReader {
  let columns = header === undefined ? undefined : columnsOf(header);
  /** The record begun on an earlier line while its quote is open, and whether that line was read as the record. */
  let open: { text: string; read: boolean } | undefined;
  /** A line that is no row of its own: the header, PowerShell's type line, a line of a record read at another. */
  const notRow = (line: string, continued?: true): ParsedLine => ({
    fields: {},
    message: line,
    raw: line,
    format: 'csv',
    header: true,
    ...(continued && { continued }),
  });
  /** Lines left to read as a preamble, no rows, while the header's line has not come (`headerOf`'s `preamble`). */
  let preambleLeft = preamble ? MAX_PREAMBLE : 0;
  const parse = (line: string): ParsedLine | undefined => {
    const parsed = parseLine(line);
    if (preambleLeft === 0) return parsed;
    preambleLeft = line === columns?.line ? 0 : preambleLeft - 1;
    return parsed ?? notRow(line);
  };
  const parseLine = (line: string): ParsedLine | undefined => {
    if (isTypeLine(line)) return notRow(line);
    if ((columns === undefined || columns.directive) && DIRECTIVE.test(line)) {
      if (isFieldsDirective(line)) columns = columnsOf(line);
      return notRow(line);
    }
    columns ??= columnsOf(line);
    if (line === columns.line) {
      open = undefined;
      return notRow(line);
    }
    if (open !== undefined) {
      const record = `${open.text}\n${line}`;
      const wasRead = open.read;
      if (!quoteOpenAfter(line, true, columns.sep)) {
        open = undefined;
        return wasRead ? notRow(line, true) : read(columns, line, splitCsv(record, columns.sep)?.map(firstLine));
      }
      if (read(columns, line, splitCsv(line, columns.sep) ?? splitCsv(`${line}"`, columns.sep))?.ts === undefined) {
        open = record.length <= MAX_RECORD_CHARS ? { text: record, read: wasRead } : undefined;
        return notRow(line, true);
      }
    }
    open = undefined;
    const cells = splitCsv(line, columns.sep);
    if (cells) return read(columns, line, cells);
    const head = splitCsv(`${line}"`, columns.sep);
    if (!head) return undefined;
    const first = read(columns, line, head);
    open = { text: line, read: first !== undefined };
    return first ?? notRow(line, true);
  };
  const read = (columns: Columns, line: string, cells: string[] | undefined): ParsedLine | undefined => {
    if (!cells || !fitsHeader(cells.length, columns.names.length, columns.sep)) return undefined;
    const out: ParsedLine = { fields: {}, message: '', raw: line, format: 'csv' };
    const numeric: Record<string, number> = {};
    const text: string[] = [];
    let numbers = 0;
    if (cells.length > columns.names.length) out.message = cells[cells.length - 1];
    for (let i = 0; i < columns.names.length; i++) {
      const cell = cells[i];
      const name = columns.names[i];
      if (i === columns.time) {
        const at = columns.timeOfDay < 0 ? cell.trim() : `${fullYear(cell.trim())} ${cells[columns.timeOfDay].trim()}`;
        out.ts = parseTimestampValue(at, order);
        if (out.ts !== undefined) continue;
      }
      if (i === columns.timeOfDay && out.ts !== undefined) continue;
      if (i === columns.level) out.level = normalizeLevel(cell) ?? cell;
      else if (i === columns.message) out.message = cell;
      else if (NUMBER.test(cell)) {
        numeric[name] = Number(cell);
        numbers++;
      } else if (cell !== '') {
        out.fields[name] = cell;
        text.push(cell);
      }
    }
    if (columns.message < 0 && cells.length === columns.names.length) out.message = text.join(' ');
    if (numbers > 0) out.numeric = numeric;
    return out;
  };
  return { parse, header: () => columns?.line, preamble: () => preamble };
}
