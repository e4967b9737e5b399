import type { ParsedLine } from '../types.js';
import type { Level } from './level.js';
import { headOf } from './lines.js';
import { parseTimestampValue } from './timestamp.js';

/**
 * Windows events as XML, one `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>` element a line:
 * what `Get-WinEvent | ForEach-Object { $_.ToXml() }`, `wevtutil qe` and Event Viewer's XML export hold. The event's
 * id and provider, its channel and computer, its level (Windows' scale: 1 critical, 2 error, 3 warning, 4 and 0
 * information, 5 verbose) and `TimeCreated`'s time come from `<System>`; each `<Data Name='…'>` of `<EventData>` (and
 * `<UserData>`'s leaves) becomes a field, or a number. The message is the rendered one when the event carries it
 * (`wevtutil qe /rd:true`: `<RenderingInfo><Message>`), its first line; else the event's id and its data's names and
 * values (`4625 TargetUserName=bob LogonType=3 …`), whose values the template miner masks when they vary.
 */
const EVENT_START = /^\s*<Event[\s>]/;
/** The lines of an export around its events: `<?xml …?>`, `<Events>`, `</Events>`. */
const WRAPPER = /^\s*(?:<\?xml[^>]*\?>\s*)?(?:<\/?Events>\s*)?$/;
const EVENT_ID = /<EventID(?:\s[^>]*)?>\s*(\d+)\s*<\/EventID>/;
const PROVIDER = /<Provider\s[^>]*?Name=['"]([^'"]*)['"]/;
const LEVEL = /<Level>\s*(\d+)\s*<\/Level>/;
const TIME_CREATED = /<TimeCreated\s[^>]*?SystemTime=['"]([^'"]*)['"]/;
const COMPUTER = /<Computer>([^<]*)<\/Computer>/;
const CHANNEL = /<Channel>([^<]*)<\/Channel>/;
const DATA = /<Data(?:\s+Name=['"]([^'"]*)['"])?\s*(?:\/>|>([^<]*)<\/Data>)/g;
const USER_DATA = /<UserData>([\s\S]*?)<\/UserData>/;
const LEAF = /<([A-Za-z_][\w.-]*)(?:\s[^>]*)?>([^<]*)<\/\1>/g;
const RENDERED = /<RenderingInfo[\s>][\s\S]*?<Message>([^<]*)<\/Message>/;
const NUMBER = /^-?\d+(?:\.\d+)?$/;
const LEVELS: Level[] = ['info', 'fatal', 'error', 'warn', 'info', 'debug'];

export function parseWindowsXml(line: string): ParsedLine | undefined {
  if (WRAPPER.test(line)) return { fields: {}, message: line, raw: line, format: 'windows-xml', header: true };
  if (!EVENT_START.test(line) || !line.includes('</Event>')) return undefined;
  const id = EVENT_ID.exec(line)?.[1];
  if (id === undefined) return undefined;
  const out: ParsedLine = { fields: {}, message: '', raw: line, format: 'windows-xml' };
  const numeric: Record<string, number> = { EventID: Number(id) };
  const provider = PROVIDER.exec(line)?.[1];
  if (provider) out.fields.Provider = unescape(provider);
  const channel = CHANNEL.exec(line)?.[1];
  if (channel) out.fields.Channel = unescape(channel);
  const computer = COMPUTER.exec(line)?.[1];
  if (computer) out.fields.Computer = unescape(computer);
  const level = LEVEL.exec(line)?.[1];
  if (level !== undefined) out.level = LEVELS[Number(level)] ?? 'info';
  const time = TIME_CREATED.exec(line)?.[1];
  if (time) out.ts = parseTimestampValue(time);
  const pairs: string[] = [];
  const add = (name: string, raw: string) => {
    const value = unescape(raw.trim());
    if (NUMBER.test(value) && value.length < 16) numeric[name] = Number(value);
    else if (value !== '' && value !== '-') out.fields[name] = value;
    pairs.push(`${name}: ${value === '' ? '-' : value.replace(/\s+/g, ' ')}`);
  };
  let unnamed = 0;
  for (const m of line.matchAll(DATA)) add(m[1] ? unescape(m[1]) : `Data${++unnamed}`, m[2] ?? '');
  const userData = USER_DATA.exec(line)?.[1];
  if (userData) for (const m of userData.matchAll(LEAF)) add(m[1], m[2]);
  const rendered = RENDERED.exec(line)?.[1];
  const text = rendered === undefined ? '' : unescape(rendered).trim().split(/\r?\n/)[0];
  out.message = text || [id, ...pairs].join(' ');
  out.numeric = numeric;
  return out;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** XML's five entities and character references. */
function unescape(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(?:#x([0-9a-f]{1,6})|#(\d{1,7})|(lt|gt|amp|quot|apos));/gi, (m, hex, dec, name) => {
    if (name) return ENTITIES[name.toLowerCase()];
    const cp = hex ? parseInt(hex, 16) : Number(dec);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

/** Where an export says it holds Windows events. */
const EVENTS_HEAD = /<Event\s+xmlns=['"]http:\/\/schemas\.microsoft\.com\/win\/2004\/08\/events\/event['"]/;
/** How much of the input decides whether it is an export of Windows events. */
const SNIFF_CHARS = 4096;

/**
 * UTF-8 chunks as they are, or, when they hold Windows events as XML, with each `<Event>` on a line of its own:
 * `wevtutil qe /f:xml` and Event Viewer's "Save as XML" write the events one after another on one line, in an
 * `<Events>` element. `found` is called when two were on one line.
 */
export async function* asEventLines(source: AsyncIterable<Buffer>, found?: () => void): AsyncGenerator<Buffer> {
  const { head, rest } = await headOf(source, SNIFF_CHARS);
  if (!EVENTS_HEAD.test(head.subarray(0, SNIFF_CHARS).toString('utf8'))) {
    yield head;
    yield* rest;
    return;
  }
  const decoder = new TextDecoder();
  let carry = '';
  let joined = false;
  // An event follows `<Events>` or another event: a line break after each (the one that may be there replaced).
  // Mid-stream a part ends where a tag starts, so a tag at its end was followed by one; at the input's end, by nothing.
  const split = (text: string, last: boolean): string =>
    text.replace(/(<\/Event>|<Events>)([^\S\n]*\r?\n?)/g, (match, tag: string, after: string, at: number) => {
      if (!joined && !after.endsWith('\n') && !(last && at + match.length === text.length)) {
        joined = true;
        found?.();
      }
      return `${tag}\n`;
    });
  const take = (chunk: Buffer | undefined): Buffer => {
    const text = carry + (chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode());
    // From the last tag on, the text waits for the next chunk: a tag cut by the chunk's end, or an event after it.
    const lt = chunk ? text.lastIndexOf('<') : -1;
    const cut = lt >= 0 && lt > text.length - 65_536 ? lt : text.length;
    carry = text.slice(cut);
    return Buffer.from(split(text.slice(0, cut), !chunk), 'utf8');
  };
  yield take(head);
  for await (const chunk of rest) yield take(chunk);
  yield take(undefined);
}
