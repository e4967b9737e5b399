import { describe, expect, it } from 'vitest';
import type { FormatName } from '../types.js';
import { createParser, detectFormat } from './index.js';
import { withoutAnsi } from './text.js';

const FORMATS: FormatName[] = [
  'apache',
  'nginx',
  'access',
  'w3c',
  'json-access',
  'zeek-http',
  'zeek',
  'hdfs',
  'syslog',
  'json',
  'logfmt',
  'csv',
  'timestamped',
  'generic',
];
const HUGE = 10 * 1024 * 1024;

/** Lines built to hit each scanner's slow paths: open quotes, unclosed brackets, long runs of one character. */
const hostile: [string, string][] = [
  ['empty', ''],
  ['whitespace', ' \t '],
  ['binary junk', String.fromCharCode(...Array.from({ length: 512 }, (_, i) => (i * 37) % 256))],
  ['NUL bytes', '\u0000\u0000081109 203615 148 INFO x: \u0000 y'],
  ['replacement chars', '\uFFFD\uFFFD [10/Oct/2000:13:55:36 -0700] "\uFFFD'],
  ['lone surrogate', '\uD800 level=error msg="\uDC00"'],
  ['web prefix then open quote', `1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET /${'a'.repeat(HUGE)}`],
  ['huge json', `{"msg":"${'x'.repeat(HUGE)}"}`],
  ['deep json', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`],
  ['huge logfmt value', `msg="${'x'.repeat(HUGE)}`],
  ['huge csv quote', `"${'x,'.repeat(HUGE / 2)}`],
  ['huge spaces', ' '.repeat(HUGE)],
  ['huge digits', '0'.repeat(HUGE)],
  ['request lines that never close', `"GET /a${' "GET /a"GET'.repeat(HUGE / 11)}`],
  ['a request line among huge fields', `${'200 '.repeat(HUGE / 8)}"GET /a HTTP/1.1" ${'"x" '.repeat(HUGE / 8)}`],
  ['w3c-like row', `2026-12-07 00:00:01 ${'GET '.repeat(HUGE / 4)}`],
  ['zeek directive of huge width', `#fields\t${'ts\t'.repeat(HUGE / 3)}`],
  ['huge hdfs content', `081109 203615 148 INFO dfs.X: ${'blk_1 '.repeat(HUGE / 6)}`],
];

describe('hostile input', () => {
  it.each(hostile)('never throws and never drops a line: %s', (_, line) => {
    for (const format of FORMATS) {
      const parsed = createParser(format).parse(line);
      expect(parsed.raw).toBe(withoutAnsi(line));
      expect(typeof parsed.message).toBe('string');
    }
    const custom = createParser('custom', { pattern: '^(?<a>(x+x+)+)y$' }).parse(line);
    expect(custom.raw).toBe(withoutAnsi(line));
    expect(FORMATS).toContain(detectFormat([line]));
  });

  it('strips CRLF and CR line endings', () => {
    const parsed = createParser('hdfs').parse('081109 203615 148 INFO dfs.X: done\r\n');
    expect(parsed).toMatchObject({ format: 'hdfs', message: 'done', raw: '081109 203615 148 INFO dfs.X: done' });
    expect(createParser('generic').parse('a\r').raw).toBe('a');
  });
});
