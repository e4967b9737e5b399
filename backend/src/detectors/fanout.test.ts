import { describe, expect, it } from 'vitest';
import type { ParsedLine } from '../types.js';
import { FanoutLearner, FanoutWatch, FanoutWindows, flowOf } from './fanout.js';

const MINUTE = 60_000;
const conn = (ts: number, source: string, host: string, port: number): ParsedLine => ({
  ts,
  raw: '',
  message: '',
  format: 'zeek',
  fields: { 'id.orig_h': source, 'id.resp_h': host, 'id.resp_p': String(port) },
});

describe('flowOf', () => {
  const line = (message: string, fields: Record<string, string> = {}): ParsedLine => ({
    raw: '',
    message,
    fields,
    format: 'syslog',
  });

  it("reads Zeek's endpoints and a Linux firewall's packet line", () => {
    expect(flowOf(line('proto=tcp', { 'id.orig_h': '10.0.0.1', 'id.resp_h': '10.0.0.2', 'id.resp_p': '22' }))).toEqual({
      source: '10.0.0.1',
      destination: '10.0.0.2 22',
    });
    const eve = {
      ...line('event_type=flow', { src_ip: '10.0.3.99', dest_ip: '10.1.0.11' }),
      numeric: { dest_port: 81 },
    };
    expect(flowOf(eve)).toEqual({ source: '10.0.3.99', destination: '10.1.0.11 81' });
    const ufw =
      '[45000.001] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=198.51.100.77 DST=203.0.113.10 LEN=44 TOS=0x00 PREC=0x00 TTL=52 ID=7 PROTO=TCP SPT=61000 DPT=8443 WINDOW=1024 RES=0x00 SYN URGP=0';
    expect(flowOf(line(ufw))).toEqual({ source: '198.51.100.77', destination: '203.0.113.10 8443' });
    const ping = 'IN=eth0 OUT= SRC=192.0.2.1 DST=203.0.113.10 LEN=84 TTL=64 ID=1 DF PROTO=ICMP TYPE=8 CODE=0';
    expect(flowOf(line(ping))).toEqual({ source: '192.0.2.1', destination: '203.0.113.10 ' });
    expect(flowOf(line('IN=eth0 SRC=192.0.2.1 DST=224.0.0.1 LEN=32 PROTO=2'))).toBeUndefined();
    expect(flowOf(line('session opened for user root'))).toBeUndefined();
    // A Cisco ASA's access-list hit and denied packet
    const hit =
      'ant-fw : %ASA-2-106100: access-list outside denied tcp outside/172.30.1.77(40405) -> dmz/10.30.30.20(3389)';
    expect(flowOf(line(hit))).toEqual({ source: '172.30.1.77', destination: '10.30.30.20 3389' });
    const deny = '%ASA-4-106023: Deny tcp src outside:198.51.100.7/4242 dst inside:10.0.0.5/445 by access-group "in"';
    expect(flowOf(line(deny))).toEqual({ source: '198.51.100.7', destination: '10.0.0.5 445' });
    expect(
      flowOf(line('%ASA-6-302014: Teardown TCP connection 1 for outside:1.2.3.4/80 duration 0:00:01')),
    ).toBeUndefined();
  });
});

describe('FanoutWindows', () => {
  it("counts a source's distinct destinations in its minute, and starts again in the next or after a reset", () => {
    const w = new FanoutWindows();
    expect(w.add('a', 'h 80', 0)).toBe(1);
    expect(w.add('a', 'h 80', 1000)).toBe(1);
    expect(w.add('a', 'h 443', 2000)).toBe(2);
    expect(w.add('b', 'h 80', 3000)).toBe(1);
    const closed: [string, number][] = [];
    expect(w.add('a', 'h 22', MINUTE + 1, (s, n) => closed.push([s, n]))).toBe(1);
    expect(closed).toEqual([['a', 2]]);
    w.reset((s, n) => closed.push([s, n]));
    expect(closed).toEqual([
      ['a', 2],
      ['a', 1],
      ['b', 1],
    ]);
    expect(w.add('a', 'h 22', MINUTE + 2)).toBe(1);
  });

  it('follows at most 200,000 sources at once: a flood of new ones in a minute is counted no further', () => {
    const w = new FanoutWindows();
    for (let i = 0; i < 200_000; i++) w.add(`s${i}`, 'h 80', 0);
    expect(w.add('late', 'h 80', 1000)).toBe(1);
    expect(w.add('late', 'h 81', 1000)).toBe(1);
    // a minute on, the idle ones are gone and the source is followed again
    expect(w.add('late', 'h 80', 2 * MINUTE)).toBe(1);
    expect(w.add('late', 'h 81', 2 * MINUTE)).toBe(2);
  });
});

describe('FanoutWatch', () => {
  const learnt = (lines: ParsedLine[]) => {
    const l = new FanoutLearner();
    for (const p of lines) l.observe(p);
    return l.finish()!;
  };
  /** 30 minutes of a resolver asking 40 servers a minute, and workstations asking it. */
  const routine = Array.from({ length: 30 }, (_, m) =>
    Array.from({ length: 40 }, (_, k) => [
      conn(m * MINUTE + k * 1000, '10.1.0.53', `192.0.2.${(m + k) % 90}`, 53),
      conn(m * MINUTE + k * 1000 + 500, `10.0.0.${k}`, '10.1.0.53', 53),
    ]).flat(),
  ).flat();

  it('flags a source past 25 destinations in a minute, from its 26th, with the count in words', () => {
    const watch = new FanoutWatch(learnt(routine));
    const sweep = Array.from({ length: 40 }, (_, k) => conn(40 * MINUTE + k * 10, '10.0.3.99', '10.1.0.11', 1 + k));
    const reasons = sweep.map((p) => watch.check(p));
    expect(reasons.slice(0, 25)).toEqual(new Array(25).fill(undefined));
    expect(reasons[25]).toBe(
      'source 10.0.3.99 reached 26 destinations (host and port) within a minute: a scan? (sources reach at most 25 a minute unless they do so all the time)',
    );
    expect(reasons.slice(26).every((r) => r !== undefined)).toBe(true);
  });

  it('holds a source that reaches many destinations every minute of training to twice its own peak', () => {
    const state = learnt(routine);
    expect(state.steady).toEqual({ '10.1.0.53': 40 });
    const watch = new FanoutWatch(state);
    const busy = Array.from({ length: 81 }, (_, k) => conn(40 * MINUTE + k * 100, '10.1.0.53', `198.51.100.${k}`, 53));
    const reasons = busy.map((p) => watch.check(p));
    expect(reasons.slice(0, 80).every((r) => r === undefined)).toBe(true);
    expect(reasons[80]).toMatch(/^source 10\.1\.0\.53 reached 81 destinations .*\(at most 40 a minute in training\)$/);
  });

  it('learns no scan inside the training lines as steady: a few minutes of it are not most of its minutes', () => {
    const scan = Array.from({ length: 3 }, (_, m) =>
      Array.from({ length: 200 }, (_, k) => conn((10 + m) * MINUTE + k * 100, '10.0.3.99', '10.1.0.11', k + 1)),
    ).flat();
    const state = learnt([...routine, ...scan].sort((a, b) => a.ts! - b.ts!));
    expect(Object.keys(state.steady)).toEqual(['10.1.0.53']);
  });

  it('knows no connection in lines without a source and a destination', () => {
    const l = new FanoutLearner();
    l.observe({ ts: 0, raw: '', message: 'x', format: 'zeek', fields: {} });
    expect(l.finish()).toBeUndefined();
  });
});
