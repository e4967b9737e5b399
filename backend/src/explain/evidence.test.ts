import { describe, expect, it } from 'vitest';
import { buildSchema, SYS, WEB } from '../features/index.js';
import { METHODS } from '../features/web.js';
import type { ParsedLine } from '../types.js';
import { RULE_STRENGTH, ruleSignals } from './evidence.js';
import { UA_CLASSES } from '../features/user-agent.js';

const schema = buildSchema('hdfs', []);

/** A system line's row: its level rank, keyword flags, and its template's share of the training lines. */
function row(level: number, share: number, keywords: string[]): number[] {
  const r = new Array<number>(schema.names.length).fill(0);
  r[SYS.level] = level;
  r[SYS.template_rarity] = Math.log10(1 / share);
  for (const k of keywords) r[SYS[`kw_${k}`]] = 1;
  return r;
}

const line = (level: string): ParsedLine => ({
  raw: '',
  message: 'Got exception while serving blk_1',
  level,
  fields: {},
  format: 'hdfs',
});

describe('rule signals of system lines', () => {
  it('reads a trouble keyword as weak evidence on a rare template and as none on a routine one', () => {
    expect(ruleSignals(schema, line('WARN'), row(2, 0.0002, ['exception']), 1000, 2000)).toEqual([
      { kind: 'rule', strength: RULE_STRENGTH.keyword, reason: 'trouble word "exception"' },
    ]);
    expect(ruleSignals(schema, line('WARN'), row(2, 0.013, ['exception']), 1000, 2000)).toEqual([]);
  });

  it('never calls a template seen once or twice routine, whatever its share of a small file', () => {
    const twiceIn150 = row(2, 2 / 150, ['exception']);
    expect(ruleSignals(schema, line('WARN'), twiceIn150, 2, 2000)).toEqual([
      { kind: 'rule', strength: RULE_STRENGTH.keyword, reason: 'trouble word "exception"' },
    ]);
    expect(ruleSignals(schema, line('WARN'), row(2, 3 / 150, ['exception']), 3, 2000)).toEqual([]);
  });

  it('counts a FATAL or ERROR level at full strength however routine the template', () => {
    expect(ruleSignals(schema, line('FATAL'), row(4, 0.02, ['exception']), 1000, 2000)).toEqual([
      { kind: 'error-level', strength: RULE_STRENGTH.fatal, reason: 'level FATAL' },
    ]);
    expect(ruleSignals(schema, line('ERROR'), row(3, 0.02, []), 1000, 2000)).toEqual([
      { kind: 'error-level', strength: RULE_STRENGTH.error, reason: 'level ERROR' },
    ]);
  });
});

describe('rule signals of web lines', () => {
  const web = buildSchema('nginx', []);
  const request = (status: string, fields: Record<string, string> = {}): ParsedLine => ({
    raw: '',
    message: '',
    fields: { ip: '10.0.0.7', method: 'GET', path: '/api/users/17', status, ...fields },
    format: 'nginx',
  });
  function webRow(bytesZ: number, windowErrors: number): number[] {
    const r = new Array<number>(web.names.length).fill(0);
    r[WEB.status_class] = 2;
    r[WEB.ua_class] = UA_CLASSES.indexOf('browser');
    r[WEB.bytes_z] = bytesZ;
    r[WEB.client_errors] = Math.log2(1 + windowErrors);
    return r;
  }

  it('calls a response far above its route baseline medium, and a merely large one nothing', () => {
    expect(ruleSignals(web, request('200'), webRow(34.4, 0), 1000, 2000)).toEqual([
      { kind: 'rule', strength: RULE_STRENGTH.largeResponse, reason: 'bytes 34σ above /api/users/<*> baseline' },
    ]);
    expect(ruleSignals(web, request('200'), webRow(12.2, 0), 1000, 2000)).toEqual([]);
  });

  it('calls a client’s burst of HTTP 401s medium, and two or three failed logins nothing', () => {
    const login = { method: 'POST', path: '/login' };
    expect(ruleSignals(web, request('401', login), webRow(0, 7), 1000, 2000)).toEqual([
      {
        kind: 'rule',
        strength: RULE_STRENGTH.authFailures,
        reason: 'client 10.0.0.7: 7 failed responses in the last minute, this one HTTP 401 (brute force?)',
      },
    ]);
    expect(ruleSignals(web, request('401', login), webRow(0, 3), 1000, 2000)).toEqual([]);
    expect(ruleSignals(web, request('404', login), webRow(0, 7), 1000, 2000)).toEqual([]);
  });

  it('calls a non-standard method the server refused medium, and a standard or accepted one nothing', () => {
    const probe = webRow(0, 0);
    probe[WEB.method] = METHODS.length;
    expect(ruleSignals(web, request('501', { method: 'TRACK' }), probe, 1000, 2000)).toEqual([
      { kind: 'rule', strength: RULE_STRENGTH.refusedMethod, reason: 'unusual method TRACK refused (HTTP 501)' },
    ]);
    expect(ruleSignals(web, request('207', { method: 'PROPFIND' }), probe, 1000, 2000)).toEqual([]);
    expect(ruleSignals(web, request('405', { method: 'DELETE' }), webRow(0, 0), 1000, 2000)).toEqual([]);
  });

  it("names another protocol's opening bytes sent to a web port, as nginx logs them (a real honeypot's probes)", () => {
    const probe = webRow(0, 0);
    probe[WEB.method] = METHODS.length;
    const reason = (method: string) => ruleSignals(web, request('400', { method }), probe, 1000, 2000)[0].reason;
    expect(reason('SSH-2.0-PUTTY')).toBe(
      'not an HTTP request: an SSH client banner (SSH-2.0-PUTTY), refused (HTTP 400)',
    );
    expect(reason('\\x16\\x03\\x01\\x00\\xA5\\x01')).toMatch(/^not an HTTP request: a TLS handshake /);
    const smb = '\\x00\\x00\\x00T\\xFFSMBr\\x00\\x00\\x00\\x00\\x18\\x01(\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00';
    expect(reason(smb)).toBe(`not an HTTP request: an SMB negotiation (${smb.slice(0, 40)}…), refused (HTTP 400)`);
    expect(reason('\\x03\\x00\\x00\\x13\\x0E\\xE0')).toMatch(/an RDP or other TPKT connection request/);
    expect(reason('\\x05\\x02\\x00\\x02')).toMatch(/^not an HTTP request: binary data /);
    expect(reason('TRACK')).toBe('unusual method TRACK refused (HTTP 400)');
  });

  it('judges a line that is no request by its trouble words and level, with its rarity as a second opinion, unless such lines are routine', () => {
    const server = (message: string, level?: string): ParsedLine => ({
      raw: '',
      message,
      level,
      fields: {},
      format: 'generic',
    });
    const down = server('haproxy[489]: Server app/app1 is DOWN, reason: Layer4 timeout');
    expect(ruleSignals(web, down, webRow(0, 0), 1, 103)).toEqual([
      { kind: 'rule', strength: RULE_STRENGTH.keyword, reason: 'trouble words "timeout", "is DOWN"' },
      {
        kind: 'novel-template',
        strength: RULE_STRENGTH.serverLine,
        reason: 'not a request: a message seen once in 103 training lines',
      },
    ]);
    expect(ruleSignals(web, server('worker 3 started', 'error'), webRow(0, 0), 0, 103).map((s) => s.reason)).toEqual([
      'level ERROR',
      'not a request: a message never seen in training',
    ]);
    expect(ruleSignals(web, server('worker 3 started'), webRow(0, 0), 1, 103)).toEqual([]);
    expect(ruleSignals(web, down, webRow(0, 0), 40, 2000)).toEqual([]);
    // Where such lines are many (an access log that holds the server's error log too), they are the stream's routine.
    expect(ruleSignals(web, server('open() failed', 'error'), webRow(0, 0), 1, 2000, 400)).toEqual([]);
  });
});
