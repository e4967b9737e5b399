import { detached } from '../parsing/text.js';
import { minuteOf } from '../stream.js';
import type { ParsedLine } from '../types.js';
import { fmtInt } from './rarity.js';

/**
 * Scans in a network sensor's log (Zeek's conn.log and its other logs of connections, Suricata's, flow logs), a Linux
 * firewall's (the kernel's `SRC=... DST=... DPT=...` lines of iptables, UFW, firewalld) or a Cisco firewall's (ASA's
 * access-list hits and denied packets): a source that reaches more than FLOOR distinct destinations (host and port)
 * in one minute of the stream, as an address or port sweep does.
 * Zeek's own scan policy counts the same way (25 hosts, or 15 ports of one host, in 5 minutes). A source that does so
 * as a matter of course (a resolver, a proxy, a monitoring host: above the floor in at least half of STEADY_MINUTES or
 * more minutes of training) is held to its own training peak, twice over. A scan inside the training lines, minutes
 * long, is no steady source: a self-trained scan still flags it.
 */
const FLOOR = 25;
const STEADY_MINUTES = 10;
const STEADY_SHARE = 0.5;
/** Destinations counted per source and minute: past this, any source is over its limit. */
const MAX_COUNTED = 1024;
/** Sources followed at once (each holds its minute's destinations). */
const MAX_SOURCES = 200_000;
/** Sources whose minutes training follows (the others are held to the floor). */
const MAX_LEARNT_SOURCES = 100_000;
const PRUNE_EVERY = 50_000;

/** What training learnt: the floor, and the sources that reach many destinations every minute, with their peak. */
export interface FanoutState {
  floor: number;
  steady: Record<string, number>;
}

/**
 * The keys a connection's endpoints go by: Zeek's, Suricata's EVE JSON, Elastic's ECS, AWS VPC flow logs', Windows
 * Firewall's pfirewall.log, Fortinet's FortiGate traffic logs, and the snake case of many firewalls' JSON exports. The
 * port may be a field or a number.
 */
const ENDPOINTS = [
  ['id.orig_h', 'id.resp_h', 'id.resp_p'],
  ['src_ip', 'dest_ip', 'dest_port'],
  ['source.ip', 'destination.ip', 'destination.port'],
  ['srcaddr', 'dstaddr', 'dstport'],
  ['src-ip', 'dst-ip', 'dst-port'],
  ['srcip', 'dstip', 'dstport'],
  ['src_ip', 'dst_ip', 'dst_port'],
] as const;

/** A line's connection: its source host, and its destination as host and port. */
export function flowOf(p: ParsedLine): { source: string; destination: string } | undefined {
  for (const [from, to, port] of ENDPOINTS) {
    const source = p.fields[from];
    const host = p.fields[to];
    if (source === undefined || host === undefined) continue;
    if (source === '-' || host === '-') return undefined;
    return { source, destination: `${host} ${p.fields[port] ?? p.numeric?.[port] ?? ''}` };
  }
  const at = p.message.indexOf('SRC=');
  if (at >= 0) {
    // From the first SRC= only, and within a packet line's length: the pattern's work stays bounded on any line.
    const m = NETFILTER.exec(p.message.slice(at, at + FLOW_CHARS));
    return m ? { source: m[1], destination: `${m[2]} ${m[3] ?? ''}` } : undefined;
  }
  const code = CISCO_FIREWALL.exec(p.message.length > FLOW_CHARS ? p.message.slice(0, FLOW_CHARS) : p.message);
  if (!code) return undefined;
  const m = CISCO_FLOW.exec(p.message.slice(code.index, code.index + FLOW_CHARS));
  return m ? { source: m[1] ?? m[4], destination: `${m[2] ?? m[5]} ${m[3] ?? m[6]}` } : undefined;
}

/** A Cisco firewall's message code (ASA, PIX, Firepower Threat Defense): `%ASA-6-106100:`. */
const CISCO_FIREWALL = /%(?:ASA|PIX|FTD)-[0-7]-\d{6}:/;
/**
 * Its connection, in either way it is written: `inside/10.0.0.1(5555) -> dmz/10.0.0.2(53)` (an access list's hit,
 * 106100) or `src outside:1.2.3.4/5555 dst inside:10.0.0.1/80` (a denied packet, 106023).
 */
const CISCO_FLOW =
  /[\w-]+\/([\d.]+|[\da-f:]+)\(\d+\) -> [\w-]+\/([\d.]+|[\da-f:]+)\((\d+)\)|src [\w-]+:(\d{1,3}(?:\.\d{1,3}){3})\/\d+ dst [\w-]+:(\d{1,3}(?:\.\d{1,3}){3})\/(\d+)/;

/** A Linux firewall's packet line (iptables LOG, UFW, firewalld): `SRC=a DST=b ... DPT=p` (no port for ICMP). */
const NETFILTER = /^SRC=(\S+) DST=(\S+)(?: [A-Z]+(?:=\S*)?)*? (?:DPT=(\d+)|PROTO=ICMP)/;
/** Characters a connection is looked for in: a packet line's length. */
const FLOW_CHARS = 600;

/** Hears of a source's minute as it ends, with the destinations it reached. */
type Closed = (source: string, count: number) => void;

/** Distinct destinations per source in the source's current minute; forgets sources idle for a minute. */
export class FanoutWindows {
  private readonly sources = new Map<string, { minute: number; destinations: Set<string> }>();
  private added = 0;
  private prunedAt = NaN;

  /**
   * Counts a connection at `ts` (ms) and returns its source's distinct destinations in that minute; `closed` hears
   * of each earlier minute of the source as it ends, with its count.
   */
  add(source: string, destination: string, ts: number, closed?: Closed): number {
    const minute = minuteOf(ts);
    let w = this.sources.get(source);
    if (!w) {
      // Full: the idle sources go, once a minute; a flood of new sources in one minute (spoofed addresses) is followed
      // no further than MAX_SOURCES.
      if (this.sources.size >= MAX_SOURCES && this.prunedAt !== minute) this.prune(minute, closed);
      if (this.sources.size >= MAX_SOURCES) return 1;
      this.sources.set(detached(source), (w = { minute, destinations: new Set() }));
    } else if (minute > w.minute) {
      closed?.(source, w.destinations.size);
      w.minute = minute;
      w.destinations.clear();
    }
    if (w.destinations.size < MAX_COUNTED && !w.destinations.has(destination))
      w.destinations.add(detached(destination));
    if (++this.added % PRUNE_EVERY === 0) this.prune(minute, closed);
    return w.destinations.size;
  }

  /** Ends every source's minute (the stream ended, or a scan part's block did: counts restart there on any thread). */
  reset(closed?: Closed): void {
    for (const [source, w] of this.sources) closed?.(source, w.destinations.size);
    this.sources.clear();
  }

  private prune(minute: number, closed?: Closed): void {
    this.prunedAt = minute;
    for (const [source, w] of this.sources)
      if (w.minute < minute - 1) {
        closed?.(source, w.destinations.size);
        this.sources.delete(source);
      }
  }
}

/** Learns the steady sources from training lines, in order. */
export class FanoutLearner {
  private readonly windows = new FanoutWindows();
  private readonly sources = new Map<string, { minutes: number; high: number; peak: number }>();
  private flows = 0;
  private readonly closed = (source: string, count: number) => {
    let s = this.sources.get(source);
    if (!s) {
      if (this.sources.size >= MAX_LEARNT_SOURCES) return;
      this.sources.set(detached(source), (s = { minutes: 0, high: 0, peak: 0 }));
    }
    s.minutes++;
    if (count > FLOOR) s.high++;
    s.peak = Math.max(s.peak, count);
  };

  observe(p: ParsedLine): void {
    const flow = flowOf(p);
    if (!flow || p.ts === undefined || !Number.isFinite(p.ts)) return;
    this.flows++;
    this.windows.add(flow.source, flow.destination, p.ts, this.closed);
  }

  /** undefined when no training line was a connection. */
  finish(): FanoutState | undefined {
    if (this.flows === 0) return undefined;
    this.windows.reset(this.closed);
    const steady: Record<string, number> = {};
    for (const [source, s] of this.sources)
      if (s.minutes >= STEADY_MINUTES && s.high >= STEADY_SHARE * s.minutes) steady[source] = s.peak;
    return { floor: FLOOR, steady };
  }
}

/** Follows the scored lines' sources; says when one goes past its limit. */
export class FanoutWatch {
  private readonly windows = new FanoutWindows();

  constructor(private readonly state: FanoutState) {}

  /** The reason when the line's source has now reached more destinations this minute than it may; else undefined. */
  check(p: ParsedLine): string | undefined {
    const flow = flowOf(p);
    if (!flow || p.ts === undefined || !Number.isFinite(p.ts)) return undefined;
    const count = this.windows.add(flow.source, flow.destination, p.ts);
    const peak = this.state.steady[flow.source];
    const limit = peak === undefined ? this.state.floor : Math.max(this.state.floor, 2 * peak);
    if (count <= limit) return undefined;
    const usual =
      peak === undefined
        ? `sources reach at most ${this.state.floor} a minute unless they do so all the time`
        : `at most ${fmtInt(peak)} a minute in training`;
    const reached = count >= MAX_COUNTED ? `${fmtInt(MAX_COUNTED)} or more` : fmtInt(count);
    return `source ${flow.source} reached ${reached} destinations (host and port) within a minute: a scan? (${usual})`;
  }

  reset(): void {
    this.windows.reset();
  }
}
