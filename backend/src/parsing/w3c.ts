import { isFieldsDirective, namesOf, type ColumnsReader } from './csv.js';
import { parseIso } from './timestamp.js';
import { NO_ANSWER, webLine } from './web.js';

/** Whether a sample is a W3C extended log: a `#Fields:` directive naming a request's method and status. */
export function isW3c(lines: readonly string[]): boolean {
  return lines.some((l) => {
    if (!isFieldsDirective(l)) return false;
    const names = namesOf(l).split(/\s+/);
    return names.includes('cs-method') && names.includes('sc-status');
  });
}

/**
 * The W3C extended log format (IIS's default, also Azure App Service's HTTP logs; AWS CloudFront's standard logs,
 * tab-separated): fields named by the last `#Fields:` directive, read from `sample` or from the stream as directives
 * come (IIS writes them again at each restart). Directive lines come back with `header: true`. `date time` are UTC;
 * `time-taken` is IIS's milliseconds, or seconds when it has a fraction (CloudFront's `0.002`); IIS writes a space in
 * the user agent as `+`, CloudFront URL-encodes it. The columns a request has become the web fields (`webLine`); the
 * other named ones (`s-ip`, `s-port`, `cs-host`, `sc-substatus`, `x-edge-location`, ...) stay fields under their names.
 */
export function createW3cParser(sample?: readonly string[]): ColumnsReader {
  let directive: string | undefined;
  let names: string[] = [];
  const use = (line: string) => {
    directive = line;
    names = namesOf(line).split(/\s+/);
  };
  for (const line of sample ?? []) if (isFieldsDirective(line)) use(line);
  return {
    header: () => directive,
    parse(line) {
      if (line.charCodeAt(0) === 35) {
        if (isFieldsDirective(line)) use(line);
        return { fields: {}, message: line, raw: line, format: 'w3c', header: true };
      }
      const tabbed = line.includes('\t');
      const cells = line.split(tabbed ? '\t' : ' ');
      if (names.length === 0 || cells.length !== names.length) return undefined;
      const cell: Record<string, string> = {};
      for (let i = 0; i < names.length; i++) cell[names[i]] = cells[i];
      const query = cell['cs-uri-query'];
      const taken = cell['time-taken'];
      const seconds = Number(taken) / (taken?.includes('.') ? 1 : 1000);
      const ua = cell['cs(User-Agent)'];
      const parsed = webLine(line, 'w3c', parseIso(`${cell.date} ${cell.time}`)?.ms, {
        ip: cell['c-ip'],
        user: cell['cs-username'],
        method: cell['cs-method'] ?? '',
        // HTTP.sys's HTTPERR log names the whole target `cs-uri`.
        target: (cell['cs-uri-stem'] ?? cell['cs-uri'] ?? '') + (query && query !== '-' ? `?${query}` : ''),
        protocol: cell['cs-version'] ?? cell['cs-protocol-version'],
        // HTTPERR's connections that ended with no request (`Timer_ConnectionIdle`): no method, no status.
        status: cell['sc-status'] === '-' && cell['cs-method'] === '-' ? NO_ANSWER : (cell['sc-status'] ?? ''),
        bytes: cell['sc-bytes'],
        referer: cell['cs(Referer)'],
        ua: ua && (tabbed ? decoded(ua) : ua.replaceAll('+', ' ')),
        rt: taken === undefined || !Number.isFinite(seconds) ? undefined : String(seconds),
      });
      if (!parsed) return undefined;
      for (const name of names) if (!(name in MAPPED)) parsed.fields[name] = cell[name];
      return parsed;
    },
  };
}

const MAPPED: Record<string, true> = Object.fromEntries(
  [
    'date',
    'time',
    'c-ip',
    'cs-username',
    'cs-method',
    'cs-uri-stem',
    'cs-uri',
    'cs-uri-query',
    'cs-version',
    'sc-status',
    'sc-bytes',
    'cs(Referer)',
    'cs(User-Agent)',
    'time-taken',
    'cs-protocol-version',
  ].map((n) => [n, true]),
);

/** A URL-encoded value (CloudFront's user agent), as it is when it is not valid percent-encoding. */
function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
