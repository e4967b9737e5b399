import { describe, expect, it } from 'vitest';
import { normalizeLevel } from './level.js';
import { dateOrderOf, fromEpoch, leadingTimestamp, parseClf, parseTimestampValue, utcMs } from './timestamp.js';

describe('timestamps', () => {
  it('computes calendar times exactly as Date.UTC does, leap years included', () => {
    for (let i = 0; i < 2000; i++) {
      const y = 1970 + ((i * 7919) % 130);
      const mo = 1 + (i % 12);
      const d = 1 + ((i * 31) % 28);
      const [h, mi, s] = [i % 24, (i * 7) % 60, (i * 13) % 60];
      expect(utcMs(y, mo, d, h, mi, s)).toBe(Date.UTC(y, mo - 1, d, h, mi, s));
    }
    expect(utcMs(2024, 2, 29, 0, 0, 0)).toBe(Date.UTC(2024, 1, 29));
    expect(utcMs(2024, 13, 1, 0, 0, 0)).toBeUndefined();
  });

  it('reads Apache times with their zone, and rejects malformed ones', () => {
    const at = (s: string) => parseClf(s, 0, s.length);
    expect(at('10/Oct/2000:13:55:36 -0700')).toBe(Date.UTC(2000, 9, 10, 20, 55, 36));
    expect(at('10/Oct/2000:13:55:36 +0530')).toBe(Date.UTC(2000, 9, 10, 8, 25, 36));
    expect(at('10/Oct/2000:13:55:36 -0700')).toBe(Date.UTC(2000, 9, 10, 20, 55, 36));
    expect(at('10/Foo/2000:13:55:36 -0700')).toBeUndefined();
    expect(at('10/Oct/2000:1x:55:36 -0700')).toBeUndefined();
    expect(at('10/Oct/2000:13:55:36')).toBeUndefined();
  });

  it('reads epoch values in any unit and ISO strings', () => {
    expect(fromEpoch(1709294400)).toBe(1709294400000);
    expect(fromEpoch(1709294400123)).toBe(1709294400123);
    expect(fromEpoch(1709294400123456)).toBe(1709294400123);
    expect(fromEpoch(1709294400123456789)).toBe(1709294400123);
    expect(parseTimestampValue('1709294400.5')).toBe(1709294400500);
    expect(parseTimestampValue('2024-03-01T12:00:00.123456Z')).toBe(Date.UTC(2024, 2, 1, 12, 0, 0, 123));
    expect(parseTimestampValue('2024-03-01 12:00:00-02:00')).toBe(Date.UTC(2024, 2, 1, 14));
    expect(parseTimestampValue('yesterday')).toBeUndefined();
    expect(parseTimestampValue(true)).toBeUndefined();
  });

  it('reads the timestamp at the start of free text', () => {
    const ms = (line: string) => leadingTimestamp(line)?.ms;
    expect(ms('2005-06-03-15.42.50.675872 R02 RAS')).toBe(Date.UTC(2005, 5, 3, 15, 42, 50, 675));
    expect(ms('[10/Oct/2000:13:55:36 -0700] GET')).toBe(Date.UTC(2000, 9, 10, 20, 55, 36));
    expect(ms('081109 203615 148 INFO')).toBe(Date.UTC(2008, 10, 9, 20, 36, 15));
    expect(new Date(ms('Mar  3 12:00:01 host x')!).getUTCDate()).toBe(3);
    // Java's default (java.util.logging's first line: Jenkins, Tomcat before 8), its 12-hour clock read
    expect(ms('Mar 19, 2018 6:25:29 PM hudson.model.AsyncPeriodicWork$1 run')).toBe(Date.UTC(2018, 2, 19, 18, 25, 29));
    expect(ms('Mar 19, 2018 12:05:29 AM x')).toBe(Date.UTC(2018, 2, 19, 0, 5, 29));
    // A host named like a meridiem is a host.
    expect(leadingTimestamp('Mar  3 12:00:01 pm-db1 sshd[1]: x')?.length).toBe(15);
    expect(new Date(ms('Mar  3 12:00:01 pm-db1 sshd[1]: x')!).getUTCHours()).toBe(12);
    // Day and month without a year (Redis before 4.0): the current year, as syslog's
    expect(new Date(ms('08 Aug 22:31:42.276 # Server started')!).toISOString().slice(5)).toBe('08-08T22:31:42.276Z');
    // A time of day alone (logback's default, a custom log4j layout in brackets): today's date
    const today = new Date().toISOString().slice(0, 10);
    expect(new Date(ms('12:34:56.789 [main] INFO  c.e.App - up')!).toISOString()).toBe(`${today}T12:34:56.789Z`);
    expect(new Date(ms('[15:11:18,649] INFO  {SparkContext} x')!).toISOString()).toBe(`${today}T15:11:18.649Z`);
    expect(leadingTimestamp('[15:11:18,649] INFO x')).toMatchObject({ length: 14, shape: 'clock', bracketed: true });
    // not a clock: a ratio, an hour past 23, a time joined to more text
    for (const text of ['1:2:3 done', '24:00:00 x', '12:34:56abc x', '12:34 x']) expect(ms(text)).toBeUndefined();
    expect(ms('200 OK')).toBeUndefined();
    expect(ms('')).toBeUndefined();
  });

  it('reads MM/dd/yyyy dates with a 24- or 12-hour clock, and dd/MM/yyyy when the day is over 12', () => {
    const ms = (line: string) => leadingTimestamp(line)?.ms;
    expect(ms('12/31/2024 23:59:59 service stopped')).toBe(Date.UTC(2024, 11, 31, 23, 59, 59));
    expect(ms('3/1/2024 1:05:09 PM service started')).toBe(Date.UTC(2024, 2, 1, 13, 5, 9));
    expect(ms('3/1/2024 12:05:09 am x')).toBe(Date.UTC(2024, 2, 1, 0, 5, 9));
    expect(ms('31/12/2024 08:00:00.250 x')).toBe(Date.UTC(2024, 11, 31, 8, 0, 0, 250));
    expect(leadingTimestamp('3/1/2024 1:05:09 PMx')?.length).toBe(16);
    expect(ms('13/13/2024 08:00:00 x')).toBeUndefined();
  });

  it("reads the IDS alert lines' date-time joined by a dash: Suricata's fast.log, and Snort's without a year", () => {
    const suricata = '01/16/2018-14:43:07.158100  [**] [1:2200040:1] SURICATA UDP invalid header length [**]';
    expect(leadingTimestamp(suricata)).toMatchObject({ ms: Date.UTC(2018, 0, 16, 14, 43, 7, 158), length: 26 });
    const snort = leadingTimestamp('01/16-14:43:07.158100  [**] [1:1000001:1] ICMP test [**]');
    expect(snort?.length).toBe(21);
    const at = new Date(snort!.ms!);
    expect([at.getUTCMonth(), at.getUTCDate(), at.getUTCHours(), at.getUTCSeconds()]).toEqual([0, 16, 14, 7]);
  });
});

describe('normalizeLevel', () => {
  it.each([
    ['ERR', 'error'],
    ['error', 'error'],
    ['E', 'error'],
    ['SEVERE', 'error'],
    ['FAILURE', 'error'],
    ['FATAL', 'fatal'],
    ['crit', 'fatal'],
    ['Warning', 'warn'],
    ['W', 'warn'],
    ['notice', 'info'],
    ['INFO', 'info'],
    ['trace', 'debug'],
    ['DEBUG', 'debug'],
    [' info ', 'info'],
    [50, 'error'],
    [30, 'info'],
    [3, 'error'],
    ['4', 'warn'],
    ['60', 'fatal'],
  ] as const)('%s -> %s', (raw, level) => {
    expect(normalizeLevel(raw)).toBe(level);
  });

  it('is idempotent and leaves unknown values undefined', () => {
    for (const l of ['debug', 'info', 'warn', 'error', 'fatal']) expect(normalizeLevel(l)).toBe(l);
    expect(normalizeLevel('banana')).toBeUndefined();
    expect(normalizeLevel('')).toBeUndefined();
    expect(normalizeLevel(undefined)).toBeUndefined();
    expect(normalizeLevel(-1)).toBeUndefined();
  });

  it('reads dd.MM.yyyy and dd-MM-yyyy dates day first, and an ambiguous date in the order the stream gives', () => {
    const ms = (line: string, order?: 'dmy' | 'mdy') => leadingTimestamp(line, order)?.ms;
    expect(ms('07.12.2026 10:00:01 ERROR x')).toBe(Date.UTC(2026, 11, 7, 10, 0, 1));
    expect(ms('07-12-2026 10:00:01,250 ERROR x')).toBe(Date.UTC(2026, 11, 7, 10, 0, 1, 250));
    expect(ms('12.31.2024 23:59:59 x')).toBe(Date.UTC(2024, 11, 31, 23, 59, 59));
    expect(ms('07/12/2026 10:00:01 x')).toBe(Date.UTC(2026, 6, 12, 10, 0, 1));
    expect(ms('07/12/2026 10:00:01 x', 'dmy')).toBe(Date.UTC(2026, 11, 7, 10, 0, 1));
    expect(ms('07.12.2026 10:00:01 x', 'mdy')).toBe(Date.UTC(2026, 6, 12, 10, 0, 1));
    // A day over 12 says which number is the day whatever the stream's order.
    expect(ms('13/12/2026 10:00:01 x', 'mdy')).toBe(Date.UTC(2026, 11, 13, 10, 0, 1));
    expect(ms('12/13/2026 10:00:01 x', 'dmy')).toBe(Date.UTC(2026, 11, 13, 10, 0, 1));
    expect(ms('07.12/2026 10:00:01 x')).toBeUndefined();
  });

  it("tells a stream's date order from a day over 12 anywhere in its first lines, else from the smoother reading", () => {
    expect(dateOrderOf(['07/12/2026 10:00:01 a', '13/12/2026 10:00:01 b'])).toBe('dmy');
    expect(dateOrderOf(['[INFO] 12/07/2026 10:00:01 a', '[INFO] 12/13/2026 10:00:01 b'])).toBe('mdy');
    expect(dateOrderOf(['WARN,"07/12/2026 10:00:01 PM",x'])).toBeUndefined();
    // Day first, 7 then 8 December are a day apart; month first, 12 July then 12 August are a month apart.
    expect(dateOrderOf(['07/12/2026 23:59:58 a', '07/12/2026 23:59:59 b', '08/12/2026 00:00:01 c'])).toBe('dmy');
    expect(dateOrderOf(['12/07/2026 23:59:58 a', '12/08/2026 00:00:01 b'])).toBe('mdy');
    expect(dateOrderOf(['07/12/2026 10:00:01 a', '07/12/2026 10:00:02 b'])).toBeUndefined();
    expect(dateOrderOf(['2026-12-07 10:00:01 a', 'plain text'])).toBeUndefined();
  });

  it('reads a whole value in any leading shape when it is a field, in the given order', () => {
    expect(parseTimestampValue('12/7/2026 10:15:03 AM')).toBe(Date.UTC(2026, 11, 7, 10, 15, 3));
    expect(parseTimestampValue('7/12/2026 10:15:03', 'dmy')).toBe(Date.UTC(2026, 11, 7, 10, 15, 3));
    expect(parseTimestampValue('Mar 3 2024 12:00:01')).toBe(Date.UTC(2024, 2, 3, 12, 0, 1));
    expect(parseTimestampValue('12/7/2026 10:15:03 and more')).toBeUndefined();
  });
});
