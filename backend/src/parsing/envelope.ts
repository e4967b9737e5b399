import { parseIso } from './timestamp.js';

/**
 * A container runtime's line around the one the application wrote: Docker's json-file driver
 * (`{"log":"10.0.0.7 - - [...] \"GET / HTTP/1.1\" 200 512\n","stream":"stdout","time":"2026-12-07T10:00:01.5Z"}`, the
 * files under /var/lib/docker/containers) and the CRI's text lines on a Kubernetes node (`2026-12-07T10:00:01.5Z
 * stdout F 10.0.0.7 - - ...`, under /var/log/pods). The application's line is parsed in its own format.
 */
export type Envelope = 'docker' | 'cri';

export interface Unwrapped {
  line: string;
  /** The runtime's time of the line (ms). */
  ts: number | undefined;
  stream: string;
}

const CRI = /^(\d{4}-\d\d-\d\dT\S+) (stdout|stderr) [FP] /;
/** Share of a sample's lines that must unwrap for the stream to be read as enveloped. */
const AGREEMENT = 0.9;

/** The application's line inside `line`, or undefined when `line` is no such envelope. */
export function unwrap(line: string, envelope: Envelope): Unwrapped | undefined {
  if (envelope === 'cri') {
    const m = CRI.exec(line);
    return m ? { line: line.slice(m[0].length), ts: parseIso(m[1])?.ms, stream: m[2] } : undefined;
  }
  if (!line.startsWith('{"log":')) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  const { log, stream, time } = o as { log?: unknown; stream?: unknown; time?: unknown };
  if (typeof log !== 'string' || typeof time !== 'string') return undefined;
  const end = log.endsWith('\r\n') ? log.length - 2 : log.endsWith('\n') ? log.length - 1 : log.length;
  return { line: log.slice(0, end), ts: parseIso(time)?.ms, stream: typeof stream === 'string' ? stream : '' };
}

/**
 * The application's line inside whichever envelope `line` comes in. Its first characters rule both out for most lines
 * (a `{` starts Docker's, a date's `-` is the CRI's fifth), so a caller may ask of every line.
 */
export function unwrapAny(line: string): Unwrapped | undefined {
  if (line.charCodeAt(0) === 123) return unwrap(line, 'docker');
  return line.charCodeAt(4) === 45 ? unwrap(line, 'cri') : undefined;
}

/** The envelope nearly every line of a sample (non-blank) comes in; undefined when none. */
export function envelopeOf(lines: readonly string[]): Envelope | undefined {
  if (lines.length === 0) return undefined;
  for (const envelope of ['docker', 'cri'] as const) {
    let n = 0;
    for (const line of lines) if (unwrap(line, envelope)) n++;
    if (n >= AGREEMENT * lines.length) return envelope;
  }
  return undefined;
}
