import { describe, expect, it } from 'vitest';
import { DHCP_PREAMBLE, PFIREWALL_HEADER } from '../../test/fixtures/logs.js';
import { csvRecords } from './csv.js';
import { createParser, detectFormat } from './index.js';

const COMBINED =
  '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?a=1&b=2 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"';
const COMMON = '10.1.2.3 - - [01/Mar/2024:00:00:01 +0000] "POST /login HTTP/1.1" 404 -';
const NGINX = '10.0.0.7 - - [01/Mar/2024:10:00:00 +0000] "GET /api/orders/17 HTTP/1.1" 503 12 "-" "curl/8.0" rt=0.250';
const NGINX_BARE = '10.0.0.7 - - [01/Mar/2024:10:00:00 +0000] "GET /cart HTTP/1.1" 200 512 "-" "curl/8.0" 0.004';
const HDFS =
  '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating';
const BGL =
  '- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected';
const RFC3164 = '<11>Mar  3 12:00:01 web-1 sshd[123]: Failed password for root from 10.0.0.1';
const RFC5424 =
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventID="1011"] An application event';

describe('terminal colour codes', () => {
  it('reads a coloured line (docker logs, kubectl logs) as its plain twin, in any format', () => {
    const plain = [
      '2024-03-01 10:00:00.120 INFO  [main] com.example.App: Completed GET /api/items/7 in 12ms',
      '2024-03-01 10:00:01.010 ERROR [main] com.example.App: Timeout talking to payment-gateway after 5s',
      '127.0.0.1 - - [01/Mar/2024:10:00:02 +0000] "GET / HTTP/1.1" 200 512 "-" "curl/8.0"',
    ];
    const coloured = [
      '\x1b[2m2024-03-01 10:00:00.120\x1b[0m \x1b[32mINFO \x1b[0m \x1b[35m[main]\x1b[0m \x1b[36mcom.example.App\x1b[0m: Completed GET /api/items/7 in 12ms',
      '\x1b[2m2024-03-01 10:00:01.010\x1b[0m \x1b[1;31mERROR\x1b[0m \x1b[35m[main]\x1b[0m \x1b[36mcom.example.App\x1b[0m: Timeout talking to payment-gateway after 5s\x1b[K',
      '\x1b]0;title\x07127.0.0.1 - - [01/Mar/2024:10:00:02 +0000] "GET / HTTP/1.1" \x1b[32m200\x1b[0m 512 "-" "curl/8.0"',
    ];
    for (const [sample, i] of [
      [plain.slice(0, 2), 0],
      [plain.slice(2), 2],
    ] as const) {
      const plainParser = createParser('auto', { sample });
      const colouredParser = createParser('auto', { sample: coloured.slice(i, i + sample.length) });
      expect(colouredParser.format).toBe(plainParser.format);
      sample.forEach((line, k) => expect(colouredParser.parse(coloured[i + k])).toEqual(plainParser.parse(line)));
    }
    expect(createParser('auto', { sample: plain.slice(0, 2) }).parse(coloured[1])).toMatchObject({ level: 'error' });
    // Docker's json-file driver escapes them inside the message.
    const docker = '{"log":"\\u001b[31mpayment failed\\u001b[0m\\n","stream":"stderr","time":"2024-03-01T10:00:00Z"}';
    expect(createParser('auto', { sample: [docker] }).parse(docker)).toMatchObject({
      format: 'json',
      message: 'payment failed',
    });
  });
});

describe('web formats', () => {
  it('parses Apache combined into the contract fields', () => {
    const p = createParser('apache').parse(COMBINED);
    expect(p).toMatchObject({
      format: 'apache',
      ts: Date.UTC(2000, 9, 10, 20, 55, 36),
      level: 'info',
      message: 'GET /apache_pb.gif',
      raw: COMBINED,
    });
    expect(p.fields).toEqual({
      ip: '127.0.0.1',
      user: 'frank',
      method: 'GET',
      path: '/apache_pb.gif',
      query: 'a=1&b=2',
      protocol: 'HTTP/1.0',
      status: '200',
      bytes: '2326',
      referer: 'http://www.example.com/start.html',
      ua: 'Mozilla/4.08 [en] (Win98; I ;Nav)',
    });
  });

  it('parses common format: bytes "-" is 0, no referer or agent, level from status', () => {
    const p = createParser('apache').parse(COMMON);
    expect(p.fields).toMatchObject({
      method: 'POST',
      path: '/login',
      query: '',
      status: '404',
      bytes: '0',
      referer: '-',
      ua: '-',
    });
    expect(p.level).toBe('warn');
    expect(p.ts).toBe(Date.UTC(2024, 2, 1, 0, 0, 1));
  });

  it('reads the nginx response time as rt in seconds, tagged or bare', () => {
    const nginx = createParser('nginx');
    expect(nginx.parse(NGINX)).toMatchObject({
      format: 'nginx',
      level: 'error',
      fields: { rt: '0.250', path: '/api/orders/17' },
    });
    expect(nginx.parse(NGINX_BARE).fields.rt).toBe('0.004');
    expect(createParser('apache').parse(COMBINED).fields.rt).toBeUndefined();
  });

  it('keeps escaped quotes inside the request and odd requests', () => {
    const attack = '1.2.3.4 - - [01/Mar/2024:10:00:00 +0000] "GET /search?q=\\"><script> HTTP/1.1" 200 5 "-" "x"';
    expect(createParser('apache').parse(attack).fields).toMatchObject({ path: '/search', query: 'q=\\"><script>' });
    const empty = createParser('apache').parse('1.2.3.4 - - [01/Mar/2024:10:00:00 +0000] "-" 408 0 "-" "-"');
    expect(empty).toMatchObject({ format: 'apache', message: '-', fields: { method: '-', path: '', status: '408' } });
  });

  it('gives timestamps with their zone applied, across cached seconds', () => {
    const p = createParser('apache');
    const a = p.parse('1.1.1.1 - - [31/Dec/2023:23:59:59 +0100] "GET / HTTP/1.1" 200 1 "-" "-"');
    const b = p.parse('1.1.1.1 - - [31/Dec/2023:23:59:59 +0100] "GET /x HTTP/1.1" 200 1 "-" "-"');
    const c = p.parse('1.1.1.1 - - [01/Jan/2024:00:00:00 -0000] "GET / HTTP/1.1" 200 1 "-" "-"');
    expect(a.ts).toBe(Date.UTC(2023, 11, 31, 22, 59, 59));
    expect(b.ts).toBe(a.ts);
    expect(c.ts).toBe(Date.UTC(2024, 0, 1));
  });

  it("reads Apache's vhost_combined: the virtual host first, as field vhost", () => {
    const line = `shop.example.com:443 ${COMBINED}`;
    expect(detectFormat([line, line])).toBe('apache');
    const p = createParser('apache').parse(line);
    expect(p.fields).toMatchObject({
      vhost: 'shop.example.com:443',
      ip: '127.0.0.1',
      path: '/apache_pb.gif',
      status: '200',
    });
    expect(p.ts).toBe(Date.UTC(2000, 9, 10, 20, 55, 36));
  });

  it("reads nginx's `$http_host $remote_addr ...` where the host is empty (a probe without a Host header)", () => {
    // hanXen/honeypot_log: 133 of 157 lines begin so; they were read as plain text
    const probe = ' 122.226.181.165 - - [27/Mar/2019:06:26:29 +0000] "SSH-2.0-PUTTY" 400 182 "-" "-" 22';
    const named = `54.180.153.215 ${COMBINED} 3389`;
    expect(detectFormat([probe, named, probe])).toBe('apache');
    expect(createParser('apache').parse(probe)).toMatchObject({
      format: 'apache',
      fields: { vhost: '', ip: '122.226.181.165', method: 'SSH-2.0-PUTTY', status: '400' },
    });
    expect(createParser('apache').parse(named).fields).toMatchObject({ vhost: '54.180.153.215', ip: '127.0.0.1' });
  });

  it("reads IIS's W3C extended log by its #Fields directive, as web fields, and keeps the directive for the model", () => {
    const fields =
      '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken';
    const row =
      '2026-12-07 00:00:04 10.0.0.5 GET /search.aspx q=%27+OR+1%3D1-- 443 - 198.51.100.9 Mozilla/5.0+(X11;+Linux) - 500 0 0 1250';
    const sample = ['#Software: Microsoft Internet Information Services 10.0', '#Version: 1.0', fields, row];
    expect(detectFormat(sample)).toBe('w3c');
    const parser = createParser('auto', { sample });
    expect(parser.header()).toBe(fields);
    expect(parser.parse(sample[0])).toMatchObject({ header: true, format: 'w3c' });
    expect(parser.parse(row)).toMatchObject({
      format: 'w3c',
      ts: Date.UTC(2026, 11, 7, 0, 0, 4),
      level: 'error',
      message: 'GET /search.aspx',
      fields: {
        ip: '198.51.100.9',
        method: 'GET',
        path: '/search.aspx',
        query: 'q=%27+OR+1%3D1--',
        status: '500',
        bytes: '0',
        ua: 'Mozilla/5.0 (X11; Linux)',
        referer: '-',
        rt: '1.25',
        's-ip': '10.0.0.5',
        'sc-substatus': '0',
      },
    });
    // IIS writes the directives again when it restarts, with other fields perhaps.
    const fewer = '#Fields: date time c-ip cs-method cs-uri-stem sc-status';
    expect(parser.parse(fewer).header).toBe(true);
    expect(parser.parse('2026-12-07 00:00:05 198.51.100.9 POST /login.aspx 302').fields).toMatchObject({
      method: 'POST',
      status: '302',
    });
    expect(parser.header()).toBe(fewer);
    expect(createParser('w3c').parse(row).format).toBe('generic');
  });

  it("reads HTTP.sys's HTTPERR log (the requests IIS never saw) with its whole target in cs-uri", () => {
    const sample = [
      '#Software: Microsoft HTTP API 2.0',
      '#Version: 1.0',
      '#Date: 2024-03-01 00:00:00',
      '#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri streamid sc-status s-siteid s-reason s-queuename',
      '2024-03-01 00:00:12 203.0.113.5 51234 10.0.0.4 443 HTTP/1.1 GET /scripts/..%255c../winnt/system32/cmd.exe?/c+dir - 400 - URL -',
    ];
    expect(detectFormat(sample)).toBe('w3c');
    expect(createParser('auto', { sample }).parse(sample[4])).toMatchObject({
      format: 'w3c',
      ts: Date.UTC(2024, 2, 1, 0, 0, 12),
      fields: {
        ip: '203.0.113.5',
        method: 'GET',
        path: '/scripts/..%255c../winnt/system32/cmd.exe',
        query: '/c+dir',
        status: '400',
        's-reason': 'URL',
      },
    });
    // A connection that ended before any request: a web line with no answer, its reason kept.
    const idle = '2024-03-01 00:00:13 198.51.100.7 40001 10.0.0.4 443 - - - - - - Timer_ConnectionIdle -';
    expect(createParser('auto', { sample }).parse(idle)).toMatchObject({
      format: 'w3c',
      fields: { ip: '198.51.100.7', method: '-', status: '000', 's-reason': 'Timer_ConnectionIdle' },
    });
  });

  it("reads AWS CloudFront's standard log: W3C fields, tab-separated, the agent URL-encoded, time-taken in seconds", () => {
    const fields =
      '#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version';
    const row = [
      '2026-12-07',
      '00:00:06',
      'FRA56-C1',
      '2005',
      '203.0.113.14',
      'GET',
      'd111111abcdef8.cloudfront.net',
      '/api/items',
      '404',
      '-',
      'Mozilla/5.0%20(X11;%20Linux%20x86_64)',
      'id=1%2527%2520UNION',
      '-',
      'Error',
      'abc==',
      'shop.example.com',
      'https',
      '120',
      '0.123',
      '-',
      'TLSv1.3',
      'TLS_AES_128_GCM_SHA256',
      'Error',
      'HTTP/2.0',
    ].join('\t');
    const sample = ['#Version: 1.0', fields, row];
    expect(detectFormat(sample)).toBe('w3c');
    expect(createParser('auto', { sample }).parse(row)).toMatchObject({
      format: 'w3c',
      ts: Date.UTC(2026, 11, 7, 0, 0, 6),
      level: 'warn',
      fields: {
        ip: '203.0.113.14',
        path: '/api/items',
        query: 'id=1%2527%2520UNION',
        status: '404',
        bytes: '2005',
        ua: 'Mozilla/5.0 (X11; Linux x86_64)',
        rt: '0.123',
        protocol: 'HTTP/2.0',
        'x-edge-location': 'FRA56-C1',
      },
    });
  });

  it('reads access lines in layouts of their own by their request line and status (AWS ALB, HAProxy, nginx variants)', () => {
    const alb =
      'https 2026-12-07T00:00:02.123456Z app/my-lb/50dc6c495c0c9188 203.0.113.8:2817 10.0.0.1:80 0.000 0.002 0.000 404 404 34 366 "GET https://www.example.com:443/.env?x=1 HTTP/1.1" "Mozilla/5.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:1:targetgroup/t/7 "Root=1-5" "www.example.com" "-" 100 2026-12-07T00:00:02.000000Z "forward" "-" "-" "10.0.0.1:80" "404" "-" "-"';
    const haproxy =
      'Dec  7 00:00:01 lb1 haproxy[1234]: 203.0.113.7:51234 [07/Dec/2026:00:00:01.123] http-in web/srv1 0/0/1/12/13 503 1234 - - ---- 1/1/0/0/0 0/0 "POST /login HTTP/1.1"';
    const nginx =
      '10.0.0.7 - - [01/Mar/2024:10:00:00 +0000] "GET /cart?a=1 HTTP/1.1" 200 512 0.004 "http://x/" "curl/8.0"';
    for (const line of [alb, haproxy, nginx]) expect(detectFormat([line, line])).toBe('access');
    const parser = createParser('access');
    expect(parser.parse(alb)).toMatchObject({
      format: 'access',
      ts: Date.UTC(2026, 11, 7, 0, 0, 2, 123),
      level: 'warn',
      message: 'GET /.env',
      fields: {
        ip: '203.0.113.8',
        path: '/.env',
        query: 'x=1',
        status: '404',
        bytes: '366',
        ua: 'Mozilla/5.0',
        host: 'https://www.example.com:443',
      },
    });
    expect(parser.parse(haproxy)).toMatchObject({
      level: 'error',
      fields: { ip: '203.0.113.7', method: 'POST', path: '/login', status: '503', bytes: '1234', ua: '-' },
    });
    expect(new Date(parser.parse(haproxy).ts!).getUTCDate()).toBe(7);
    expect(parser.parse(nginx)).toMatchObject({
      ts: Date.UTC(2024, 2, 1, 10),
      fields: { ip: '10.0.0.7', status: '200', bytes: '512', rt: '0.004', referer: 'http://x/', ua: 'curl/8.0' },
    });
    expect(parser.parse(haproxy.replace('203.0.113.7:51234', '[2001:db8::1]:51234')).fields.ip).toBe('2001:db8::1');
    // A request that is no request line, its one token the method as parseWeb reads it: HAProxy's bad request, and
    // the `"-"` of a connection that sent nothing.
    const badreq =
      'Nov 10 15:10:57 haproxy haproxy[489]: 203.116.206.254 - - [10/Nov/2016:07:10:57 +0000] "<BADREQ>" 400 187 "" "" 33813 470 "bayer" "bayer" "<NOSRV>" -1 -1 -1 -1 48 PR-- 6 6 0 0 0 0 0 "" "" "" ""';
    expect(parser.parse(badreq)).toMatchObject({
      format: 'access',
      message: '<BADREQ>',
      fields: { ip: '203.116.206.254', method: '<BADREQ>', path: '', status: '400', bytes: '187' },
    });
    expect(parser.parse('10.0.0.7 - - [01/Mar/2024:10:00:00 +0000] "-" 408 0 "-" "-"').fields).toMatchObject({
      method: '-',
      status: '408',
    });
    expect(parser.parse('Nov 10 15:10:57 haproxy haproxy[489]: backend app has no server available!').format).toBe(
      'generic',
    );
    expect(parser.parse(`00:00:01 ${nginx.slice(9)}`).fields.ip).toBe('-');
    // Envoy's default layout: no address before the request, the forwarded client quoted after it, then the agent.
    const envoy =
      '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0" "locations" "tcp://10.0.2.1:80"';
    expect(parser.parse(envoy)).toMatchObject({
      ts: Date.UTC(2016, 3, 15, 20, 17, 0, 310),
      fields: {
        ip: '10.0.35.28',
        method: 'POST',
        status: '204',
        bytes: '0',
        rt: '0.226',
        ua: 'nsq2http',
        referer: '-',
      },
    });
    // After the status: the response flags, the bytes received, the bytes sent (the response's), the duration.
    expect(parser.parse(envoy.replace('204 - 154 0 226', '503 UF,URX 154 5120 30'))).toMatchObject({
      level: 'error',
      fields: { status: '503', bytes: '5120', rt: '0.03' },
    });
    // Squid's native log: no request line; the elapsed ms are the response time, the URL's site goes to `host`.
    const squid = [
      '1286536308.779    180 192.168.0.224 TCP_MISS/200 411 GET http://www.example.com/a.png?x=1 - DIRECT/93.184.216.34 image/png',
      '1286536310.001      0 10.0.0.5 TCP_DENIED/403 3585 CONNECT evil.example.com:443 bob HIER_NONE/- text/html',
    ];
    expect(detectFormat(squid)).toBe('access');
    expect(parser.parse(squid[0])).toMatchObject({
      ts: 1286536308779,
      level: 'info',
      message: 'GET /a.png',
      fields: { ip: '192.168.0.224', path: '/a.png', query: 'x=1', status: '200', bytes: '411', rt: '0.18' },
    });
    expect(parser.parse(squid[0]).fields.host).toBe('http://www.example.com');
    expect(parser.parse(squid[1])).toMatchObject({
      level: 'warn',
      fields: { method: 'CONNECT', path: 'evil.example.com:443', status: '403', user: 'bob' },
    });
    // No HTTP answer (aborted by the client, failed before the headers): an access line all the same, status 000, so
    // the request it carries is read (an attack aborted is still an attack).
    expect(parser.parse(squid[0].replace('TCP_MISS/200 411', 'TCP_MISS_ABORTED/000 0'))).toMatchObject({
      format: 'access',
      level: 'info',
      fields: { path: '/a.png', status: '000', bytes: '0' },
    });
    expect(
      parser.parse(
        '1286536311.002     12 10.0.0.6 NONE_NONE/000 0 NONE error:transaction-end-before-headers - HIER_NONE/- -',
      ),
    ).toMatchObject({ format: 'access', fields: { method: 'NONE', status: '000' } });
    // Combined is still apache's; a request line without a status is no access line.
    expect(detectFormat([COMBINED, COMBINED])).toBe('apache');
    expect(parser.parse('client said "GET /a HTTP/1.1" and left').format).toBe('generic');
  });

  it('reads Windows events as PowerShell exports them (any key case, /Date(ms)/ times) and NXLog writes them', () => {
    const winEvent =
      '{"Id":4625,"LevelDisplayName":"Information","Message":"An account failed to log on.","ProviderName":"Microsoft-Windows-Security-Auditing","TimeCreated":"/Date(1619083102958)/","MachineName":"dc1"}';
    const eventLog =
      '{"MachineName":"N3IM1703","EventID":5058,"EntryType":8,"Source":"Microsoft-Windows-Security-Auditing","TimeGenerated":"2021-04-22T11:18:22+02:00","Message":"Key file operation."}';
    const nxlog = '{"EventTime":"2021-04-22 09:18:22","Hostname":"dc1","Severity":"ERROR","Message":"disk failure"}';
    expect(detectFormat([winEvent, eventLog, nxlog])).toBe('json');
    const json = createParser('json');
    expect(json.parse(winEvent)).toMatchObject({
      ts: 1619083102958,
      level: 'info',
      message: 'An account failed to log on.',
      fields: { ProviderName: 'Microsoft-Windows-Security-Auditing' },
      numeric: { Id: 4625 },
    });
    expect(json.parse(eventLog)).toMatchObject({
      ts: Date.UTC(2021, 3, 22, 9, 18, 22),
      message: 'Key file operation.',
    });
    const gcp = [
      '{"insertId":"a1","jsonPayload":{"message":"payment failed","order":7},"severity":"ERROR","timestamp":"2021-04-22T09:18:22Z"}',
      '{"insertId":"a2","textPayload":"GET /healthz 200","severity":"INFO","timestamp":"2021-04-22T09:18:23Z"}',
    ].map((l) => json.parse(l));
    expect(gcp[0]).toMatchObject({ message: 'payment failed', level: 'error', numeric: { 'jsonPayload.order': 7 } });
    expect(gcp[1]).toMatchObject({ message: 'GET /healthz 200', level: 'info', ts: Date.UTC(2021, 3, 22, 9, 18, 23) });
    expect(json.parse(nxlog)).toMatchObject({
      ts: Date.UTC(2021, 3, 22, 9, 18, 22),
      level: 'error',
      message: 'disk failure',
    });
  });

  it("reads Windows events as XML, one a line (Get-WinEvent's ToXml, wevtutil), the rendered message when present", () => {
    const system = (id: number, level: number) =>
      `<System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>${id}</EventID><Level>${level}</Level><TimeCreated SystemTime='2024-03-01T10:00:00.1234567Z'/><Channel>Security</Channel><Computer>dc1.corp.local</Computer></System>`;
    const event = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>${system(4625, 0)}<EventData><Data Name='TargetUserName'>bob &amp; co</Data><Data Name='LogonType'>3</Data><Data Name='IpAddress'>-</Data></EventData></Event>`;
    const rendered = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>${system(7031, 2)}<EventData><Data>Spooler</Data></EventData><RenderingInfo Culture='en-US'><Message>The Print Spooler service terminated unexpectedly.&#13;\nIt has done this 1 time(s).</Message></RenderingInfo></Event>`;
    expect(detectFormat([event, rendered])).toBe('windows-xml');
    const parser = createParser('auto', { sample: [event] });
    expect(parser.parse(event)).toEqual({
      format: 'windows-xml',
      raw: event,
      ts: Date.UTC(2024, 2, 1, 10, 0, 0, 123),
      level: 'info',
      fields: {
        Provider: 'Microsoft-Windows-Security-Auditing',
        Channel: 'Security',
        Computer: 'dc1.corp.local',
        TargetUserName: 'bob & co',
      },
      numeric: { EventID: 4625, LogonType: 3 },
      message: '4625 TargetUserName: bob & co LogonType: 3 IpAddress: -',
    });
    expect(parser.parse(rendered)).toMatchObject({
      level: 'error',
      message: 'The Print Spooler service terminated unexpectedly.',
      fields: { Data1: 'Spooler' },
    });
    expect(parser.parse('<Event><System></System></Event>').format).toBe('generic');
  });

  it("reads a logfmt line's time from its date and time of day (FortiGate's traffic log)", () => {
    const line =
      'date=2019-05-10 time=11:37:47 logid="0000000013" type="traffic" subtype="forward" srcip=10.1.100.11 srcport=58012 dstip=13.107.4.52 dstport=443 action="accept"';
    expect(createParser('auto', { sample: [line] }).parse(line)).toMatchObject({
      format: 'logfmt',
      ts: Date.UTC(2019, 4, 10, 11, 37, 47),
      fields: { srcip: '10.1.100.11', dstip: '13.107.4.52', action: 'accept' },
      numeric: { dstport: 443 },
    });
  });

  it("reads logfmt access logs (Grafana's, Go services') as web fields, and other logfmt as logfmt", () => {
    const grafana =
      'logger=context userId=1 orgId=1 uname=admin t=2026-12-07T10:00:00.12+00:00 level=info msg="Request Completed" method=GET path=/api/dashboards/uid/abc status=404 remote_addr=127.0.0.1 time_ms=1 duration=1.56ms size=57 referer=http://localhost:3000/ handler=/api/dashboards/uid/:uid';
    const go =
      'ts=2026-12-07T10:00:00Z caller=http.go:12 method=POST path="/login?next=/x" status=401 remote_addr=203.0.113.7:5123 took=12ms user_agent="curl/8.0"';
    expect(detectFormat([grafana, go])).toBe('logfmt-access');
    const parser = createParser('logfmt-access');
    expect(parser.parse(grafana)).toMatchObject({
      format: 'logfmt-access',
      ts: Date.UTC(2026, 11, 7, 10, 0, 0, 120),
      level: 'warn',
      message: 'GET /api/dashboards/uid/abc',
      fields: { ip: '127.0.0.1', status: '404', bytes: '57', rt: '0.00156', referer: 'http://localhost:3000/' },
    });
    expect(parser.parse(go).fields).toMatchObject({
      ip: '203.0.113.7',
      method: 'POST',
      path: '/login',
      query: 'next=/x',
      ua: 'curl/8.0',
    });
    // Heroku's router: logfmt in a syslog line, the client the first of its forwarded-for list, `service` the time.
    const heroku =
      '2026-12-07T10:00:01.000000+00:00 heroku[router]: at=error code=H12 desc="Request timeout" method=GET path="/users?id=1%27" host=a.herokuapp.com fwd="203.0.113.7, 10.0.0.1" dyno=web.1 connect=0ms service=30000ms status=503 bytes=0';
    expect(detectFormat([heroku, heroku])).toBe('logfmt-access');
    expect(parser.parse(heroku)).toMatchObject({
      format: 'logfmt-access',
      ts: Date.UTC(2026, 11, 7, 10, 0, 1),
      level: 'error',
      fields: { ip: '203.0.113.7', path: '/users', query: 'id=1%27', status: '503', bytes: '0', rt: '30' },
    });
    const app = 'ts=2026-12-07T10:00:00Z level=warn msg="disk low" free_gb=12';
    expect(detectFormat([app, app])).toBe('logfmt');
    expect(parser.parse(app)).toMatchObject({ format: 'logfmt', level: 'warn', message: 'disk low' });
  });

  it('reads JSON access logs (nginx, Caddy, Traefik) as web fields, and other JSON as json', () => {
    const nginx =
      '{"time_local":"07/Dec/2026:00:00:01 +0000","remote_addr":"203.0.113.7","request":"GET /a?b=1 HTTP/1.1","status":404,"body_bytes_sent":12,"http_referer":"","http_user_agent":"curl/8.0","request_time":0.25}';
    const caddy =
      '{"level":"info","ts":1796601602.123,"msg":"handled request","request":{"remote_ip":"203.0.113.8","proto":"HTTP/2.0","method":"GET","uri":"/?id=1%27","headers":{"User-Agent":["sqlmap/1.7"]}},"duration":0.002,"size":120,"status":500}';
    const traefik =
      '{"ClientHost":"203.0.113.9","RequestMethod":"POST","RequestPath":"/login","RequestProtocol":"HTTP/1.1","DownstreamStatus":200,"DownstreamContentSize":64,"Duration":1500000,"request_User-Agent":"Mozilla/5.0","time":"2026-12-07T00:00:03Z"}';
    expect(detectFormat([nginx, caddy, traefik])).toBe('json-access');
    const parser = createParser('json-access');
    expect(parser.parse(nginx)).toMatchObject({
      format: 'json-access',
      ts: Date.UTC(2026, 11, 7, 0, 0, 1),
      level: 'warn',
      message: 'GET /a',
      fields: {
        ip: '203.0.113.7',
        method: 'GET',
        path: '/a',
        query: 'b=1',
        protocol: 'HTTP/1.1',
        status: '404',
        bytes: '12',
        ua: 'curl/8.0',
        rt: '0.25',
        referer: '-',
      },
    });
    expect(parser.parse(caddy).fields).toMatchObject({
      ip: '203.0.113.8',
      query: 'id=1%27',
      ua: 'sqlmap/1.7',
      status: '500',
      bytes: '120',
      rt: '0.002',
    });
    expect(parser.parse(traefik).fields).toMatchObject({
      ip: '203.0.113.9',
      method: 'POST',
      path: '/login',
      rt: '0.0015',
      ua: 'Mozilla/5.0',
    });
    // Envoy's (Istio's) JSON: a client address with its port (the host is the client), a duration in milliseconds.
    const envoy =
      '{"start_time":"2026-12-07T00:00:01.000Z","method":"GET","path":"/productpage","protocol":"HTTP/1.1","response_code":503,"bytes_sent":95,"duration":12,"downstream_remote_address":"10.1.2.3:51234","user_agent":"curl/8.0"}';
    expect(parser.parse(envoy)).toMatchObject({
      ts: Date.UTC(2026, 11, 7, 0, 0, 1),
      fields: { ip: '10.1.2.3', status: '503', bytes: '95', rt: '0.012', ua: 'curl/8.0' },
    });
    // Zeek's http.log written as JSON.
    const zeek =
      '{"ts":1709294400.12,"uid":"C1","id.orig_h":"10.0.0.7","id.orig_p":51234,"method":"GET","host":"a.example","uri":"/x?id=1","version":"1.1","user_agent":"sqlmap/1.7","response_body_len":1256,"status_code":500}';
    expect(parser.parse(zeek)).toMatchObject({
      ts: 1709294400120,
      fields: { ip: '10.0.0.7', path: '/x', status: '500', bytes: '1256', ua: 'sqlmap/1.7' },
    });
    const app = '{"time":"2026-12-07T00:00:00Z","level":"warn","msg":"disk low","status":"degraded"}';
    expect(detectFormat([app, app])).toBe('json');
    // Between the requests, a server's own JSON lines keep their time, level and message.
    expect(parser.parse(app)).toMatchObject({
      format: 'json',
      ts: Date.UTC(2026, 11, 7),
      level: 'warn',
      message: 'disk low',
    });
    // Elastic Common Schema nests the bytes four levels deep.
    const ecs =
      '{"@timestamp":"2026-12-07T00:00:02Z","source":{"ip":"203.0.113.4"},"http":{"request":{"method":"GET"},"response":{"status_code":200,"body":{"bytes":5120}}},"url":{"original":"/a"}}';
    expect(parser.parse(ecs).fields).toMatchObject({ ip: '203.0.113.4', status: '200', bytes: '5120', path: '/a' });
  });

  it('reads the request under an object of its own: Google Cloud load balancers, Azure Application Gateway', () => {
    const gcp =
      '{"insertId":"1a2b","httpRequest":{"requestMethod":"GET","requestUrl":"https://shop.example.com/search?q=1%27","requestSize":"420","status":404,"responseSize":"153","userAgent":"sqlmap/1.7","remoteIp":"203.0.113.7","latency":"0.012345s","protocol":"HTTP/1.1"},"resource":{"type":"http_load_balancer"},"timestamp":"2026-12-07T00:00:01.5Z","severity":"WARNING","logName":"projects/p/logs/requests"}';
    const azure =
      '{"time":"2026-12-07T00:00:02Z","category":"ApplicationGatewayAccessLog","properties":{"clientIP":"203.0.113.8","httpMethod":"GET","requestUri":"/phpmyadmin/setup.php","requestQuery":"a=1","userAgent":"Mozilla/5.0","httpStatus":404,"httpVersion":"HTTP/1.1","receivedBytes":65,"sentBytes":553,"timeTaken":0.205}}';
    expect(detectFormat([gcp, azure, gcp])).toBe('json-access');
    const parser = createParser('json-access');
    // An absolute URL is the site and the path, as an AWS load balancer's line is read; latency "0.012345s" is seconds.
    expect(parser.parse(gcp)).toMatchObject({
      format: 'json-access',
      ts: Date.UTC(2026, 11, 7, 0, 0, 1, 500),
      level: 'warn',
      message: 'GET /search',
      fields: {
        ip: '203.0.113.7',
        path: '/search',
        query: 'q=1%27',
        status: '404',
        bytes: '153',
        ua: 'sqlmap/1.7',
        rt: '0.012345',
        host: 'https://shop.example.com',
      },
    });
    // The query logged apart is the target's.
    expect(parser.parse(azure).fields).toMatchObject({
      ip: '203.0.113.8',
      path: '/phpmyadmin/setup.php',
      query: 'a=1',
      status: '404',
      bytes: '553',
      rt: '0.205',
    });
    // Azure Front Door's: the status and bytes under their own names; its URL is absolute, kept as the target.
    const frontDoor =
      '{"time":"2026-12-07T00:00:03Z","category":"FrontDoorAccessLog","properties":{"httpMethod":"GET","requestUri":"https://contoso.azurefd.net:443/a?b=1","clientIp":"203.0.113.9","httpStatusCode":"404","responseBytes":"120","timeTaken":"0.010"}}';
    expect(parser.parse(frontDoor).fields).toMatchObject({
      ip: '203.0.113.9',
      status: '404',
      bytes: '120',
      rt: '0.01',
    });
    // Cloudflare's HTTP request logs (Logpush): keys of their own, the time EdgeStartTimestamp.
    const cloudflare =
      '{"ClientIP":"203.0.113.10","ClientRequestHost":"shop.example.com","ClientRequestMethod":"POST","ClientRequestURI":"/login?next=%2F","ClientRequestUserAgent":"curl/8.0","EdgeResponseBytes":321,"EdgeResponseStatus":403,"EdgeStartTimestamp":"2026-12-07T00:00:04Z","RayID":"7f00aa"}';
    expect(parser.parse(cloudflare)).toMatchObject({
      ts: Date.UTC(2026, 11, 7, 0, 0, 4),
      fields: { ip: '203.0.113.10', method: 'POST', path: '/login', query: 'next=%2F', status: '403', bytes: '321' },
    });
    // A key named outright wins over one read without its first part; a line with neither stays json.
    const both = JSON.stringify({ status: 200, method: 'GET', path: '/a', inner: { status: 500 } });
    expect(parser.parse(both).fields.status).toBe('200');
    const job = '{"time":"2026-12-07T00:00:00Z","msg":"job done","job":{"status":"ok","method":"batch"}}';
    expect(parser.parse(job).format).toBe('json');
  });
});

describe('Zeek logs', () => {
  const head = (path: string, fields: string) => [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    `#path\t${path}`,
    `#fields\t${fields.replaceAll(' ', '\t')}`,
  ];

  it('reads http.log as web traffic: client, request, status, bytes, agent, and the host as a field', () => {
    const lines = [
      ...head(
        'http',
        'ts uid id.orig_h id.orig_p method host uri referrer version user_agent response_body_len status_code username',
      ),
      '1709294400.123456\tCHhAvVGS1DHFjwGM9\t10.0.0.7\t51234\tGET\texample.com\t/search?q=1%27--\t-\t1.1\tsqlmap/1.7\t1256\t500\t-',
    ];
    expect(detectFormat(lines)).toBe('zeek-http');
    const parser = createParser('auto', { sample: lines });
    expect(parser.parse(lines[5]).header).toBe(true);
    expect(parser.parse(lines[6])).toMatchObject({
      format: 'zeek-http',
      ts: 1709294400123,
      level: 'error',
      message: 'GET /search',
      fields: {
        ip: '10.0.0.7',
        query: 'q=1%27--',
        protocol: 'HTTP/1.1',
        status: '500',
        bytes: '1256',
        ua: 'sqlmap/1.7',
        referer: '-',
        user: '-',
        host: 'example.com',
      },
    });
  });

  it('reads the other logs by their columns: numbers as features, the rest as the message, not the ids and endpoints', () => {
    const lines = [
      ...head(
        'conn',
        'ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes conn_state history',
      ),
      '1709294400.5\tC1\t10.0.0.7\t51234\t93.184.216.34\t80\ttcp\thttp\t0.251\t120\tSF\tShADadFf',
      '1709294401.5\tC2\t10.0.0.8\t51235\t10.0.0.53\t53\tudp\tdns\t-\t-\tS0\tD',
    ];
    expect(detectFormat(lines)).toBe('zeek');
    const parser = createParser('zeek', { sample: lines });
    expect(parser.parse(lines[6])).toMatchObject({
      ts: 1709294400500,
      message: 'proto=tcp service=http conn_state=SF history=ShADadFf',
      numeric: { duration: 0.251, orig_bytes: 120 },
      fields: { proto: 'tcp', conn_state: 'SF' },
    });
    expect(parser.parse(lines[7]).message).toBe(
      'proto=udp service=dns duration=- orig_bytes=- conn_state=S0 history=D',
    );
    // A line whose cells the directive does not name is no Zeek line.
    expect(parser.parse('1709294402.5\tC3\ttcp').format).toBe('generic');
  });
});

describe('system formats', () => {
  it('parses HDFS: UTC time, pid, component, level and the content as message', () => {
    expect(createParser('hdfs').parse(HDFS)).toEqual({
      ts: Date.UTC(2008, 10, 9, 20, 36, 15),
      level: 'info',
      fields: { pid: '148', component: 'dfs.DataNode$PacketResponder' },
      message: 'PacketResponder 1 for block blk_38865049064139660 terminating',
      raw: HDFS,
      format: 'hdfs',
    });
  });

  it('parses BGL with the epoch time plus microseconds, host, level and message, without the alert label', () => {
    const p = createParser('syslog').parse(BGL);
    expect(p).toMatchObject({
      format: 'syslog',
      ts: 1117838570675,
      level: 'info',
      message: 'instruction cache parity error corrected',
      fields: { host: 'R02-M1-N0-C:J12-U11', type: 'RAS', component: 'KERNEL' },
    });
    const alert = createParser('syslog').parse(BGL.replace(/^- /, 'KERNDTLB ').replace(' INFO ', ' FATAL '));
    expect(alert.level).toBe('fatal');
    expect(Object.values(alert.fields)).not.toContain('KERNDTLB');
  });

  it('reads a Unix time among the first columns (LANL HPC): the columns before it and numbers after it are fields', () => {
    const line =
      '134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: Component \\042alt0\\042 is unavailable';
    expect(detectFormat([line, line, line])).toBe('columns');
    expect(createParser('columns').parse(line)).toMatchObject({
      format: 'columns',
      ts: 1077804742000,
      fields: { col1: '134681', col2: 'node-246', col3: 'unix.hw', col4: 'state_change.unavailable', col6: '1' },
      message: 'Component State Change: Component \\042alt0\\042 is unavailable',
    });
    // A flag of -1 is a column as 1 is: `running` is one message whatever the partition's flag.
    expect(createParser('columns').parse('2286759 full partition status 1061219795 -1 running')).toMatchObject({
      fields: { col6: '-1' },
      message: 'running',
    });
    // Ten digits outside 1995-2100 are an id; a time in the first column is `timestamped`.
    expect(createParser('columns').parse('job 9999999999 done').format).toBe('generic');
    expect(detectFormat(['1077804742 node-246 up', '1077804743 node-247 up'])).toBe('timestamped');
    // A few lines with ten digits among generic ones do not make the stream `columns`.
    const ids = ['order 1077804742 shipped', ...Array(9).fill('worker started')];
    expect(detectFormat(ids)).toBe('generic');
  });

  it('parses RFC 3164 with priority, host, app and pid', () => {
    const p = createParser('syslog').parse(RFC3164);
    expect(p).toMatchObject({
      format: 'syslog',
      level: 'error',
      message: 'Failed password for root from 10.0.0.1',
      fields: { host: 'web-1', app: 'sshd', pid: '123' },
    });
    const d = new Date(p.ts!);
    expect([d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCSeconds()]).toEqual([2, 3, 12, 1]);
    expect(p.ts!).toBeLessThanOrEqual(Date.now() + 86_400_000);
  });

  it('reads a tag with its pid right after the time as syslog without a host, and a bare word as no tag', () => {
    const heroku = '2026-12-07T00:00:03.000000+00:00 app[web.1]: Started GET "/" for 203.0.113.7';
    expect(createParser('auto', { sample: [heroku] }).parse(heroku)).toMatchObject({
      format: 'syslog',
      ts: Date.UTC(2026, 11, 7, 0, 0, 3),
      fields: { app: 'app', pid: 'web.1' },
      message: 'Started GET "/" for 203.0.113.7',
    });
    expect(createParser('syslog').parse('Mar  3 12:00:01 sshd[123]: Accepted publickey').fields).toEqual({
      app: 'sshd',
      pid: '123',
    });
    const app = '2026-12-07T00:00:03Z ERROR: disk full';
    expect(createParser('auto', { sample: [app] }).parse(app)).toMatchObject({ level: 'error', message: 'disk full' });
  });

  it('reads syslog after an ISO time with a space before the time (macOS log show --style syslog), not a level as host', () => {
    const mac = [
      '2024-03-01 12:00:00.123456+0100  localhost kernel[0]: (AppleACPIPlatform) ACPI: sleep',
      '2024-03-01 12:00:05 myhost sshd[123]: Failed password for root from 10.0.0.1 port 22 ssh2',
    ];
    expect(detectFormat(mac)).toBe('syslog');
    expect(createParser('syslog').parse(mac[0])).toMatchObject({
      ts: Date.UTC(2024, 2, 1, 11, 0, 0, 123),
      fields: { host: 'localhost', app: 'kernel', pid: '0' },
      message: '(AppleACPIPlatform) ACPI: sleep',
    });
    expect(createParser('syslog').parse(mac[1]).fields).toEqual({ host: 'myhost', app: 'sshd', pid: '123' });
    const app = ['2024-03-01 12:00:00 WARN pool: low', '2024-03-01T12:00:01Z INFO main: started'];
    for (const line of app) expect(createParser('syslog').parse(line).format).toBe('generic');
    expect(detectFormat(app)).not.toBe('syslog');
  });

  it('parses RFC 5424 with structured data', () => {
    const p = createParser('syslog').parse(RFC5424);
    expect(p).toMatchObject({
      format: 'syslog',
      ts: Date.UTC(2003, 9, 11, 22, 14, 15, 3),
      level: 'info',
      message: 'An application event',
      fields: {
        host: 'mymachine.example.com',
        app: 'evntslog',
        msgid: 'ID47',
        sd: '[exampleSDID@32473 iut="3" eventID="1011"]',
      },
    });
  });
});

describe('structured formats', () => {
  it('parses JSON lines: numbers to numeric, other scalars to fields, nested keys flattened', () => {
    const line =
      '{"time":"2024-03-01T12:00:00.250+01:00","level":"ERR","msg":"db timeout","latency_ms":812,"ok":false,"ctx":{"user":"bob","n":2},"tags":["a"]}';
    expect(createParser('json').parse(line)).toEqual({
      ts: Date.UTC(2024, 2, 1, 11, 0, 0, 250),
      level: 'error',
      message: 'db timeout',
      fields: { ok: 'false', 'ctx.user': 'bob', tags: '["a"]' },
      numeric: { latency_ms: 812, 'ctx.n': 2 },
      raw: line,
      format: 'json',
    });
    expect(createParser('json').parse('{"ts":1709294400,"level":50,"message":"x"}')).toMatchObject({
      ts: 1709294400000,
      level: 'error',
    });
  });

  it("reads the message, level and time under the keys of Docker, journald, Serilog, log4j2's JSON and MongoDB", () => {
    const json = createParser('json');
    expect(
      json.parse('{"log":"GET /healthz 200\\n","stream":"stdout","time":"2024-03-01T12:00:00.123456789Z"}'),
    ).toMatchObject({
      message: 'GET /healthz 200',
      ts: Date.UTC(2024, 2, 1, 12, 0, 0, 123),
      fields: { stream: 'stdout' },
    });
    expect(
      json.parse(
        '{"__REALTIME_TIMESTAMP":"1709294400123456","PRIORITY":"3","MESSAGE":"Out of memory: Killed process 42"}',
      ),
    ).toMatchObject({ message: 'Out of memory: Killed process 42', ts: 1709294400123, level: 'error' });
    expect(
      json.parse('{"@t":"2024-03-01T12:00:00Z","@mt":"Disk {Drive} full","@l":"Warning","Drive":"C:"}'),
    ).toMatchObject({
      message: 'Disk {Drive} full',
      level: 'warn',
      ts: Date.UTC(2024, 2, 1, 12),
    });
    expect(json.parse('{"timeMillis":1709294400123,"level":"ERROR","message":"boom"}')).toMatchObject({
      ts: 1709294400123,
      level: 'error',
    });
    expect(
      json.parse('{"t":{"$date":"2024-03-01T12:00:00.123+00:00"},"s":"W","c":"NETWORK","msg":"Slow query"}'),
    ).toMatchObject({ ts: Date.UTC(2024, 2, 1, 12, 0, 0, 123), level: 'warn', fields: { c: 'NETWORK' } });
    // `s` is a level only when it reads as one
    const notLevel = json.parse('{"s":"hello","msg":"x"}');
    expect(notLevel.level).toBeUndefined();
    expect(notLevel.fields).toEqual({ s: 'hello' });
    // and so is `priority`: a task's priority leaves the level to the `level` key after it
    expect(json.parse('{"priority":"high","level":"warn","msg":"queue slow"}')).toMatchObject({
      level: 'warn',
      fields: { priority: 'high' },
    });
  });

  it('parses logfmt with quoted values, numbers and durations', () => {
    const line = 'ts=2024-03-01T12:00:00Z level=error msg="x \\"y\\" z" duration=1.5s bytes=12 path=/a';
    expect(createParser('logfmt').parse(line)).toEqual({
      ts: Date.UTC(2024, 2, 1, 12),
      level: 'error',
      message: 'x "y" z',
      fields: { path: '/a' },
      numeric: { duration: 1500, bytes: 12 },
      raw: line,
      format: 'logfmt',
    });
  });

  it('reads Linux audit records: the time from the header, the record without it as the message, words between pairs', () => {
    const records = [
      'type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 success=no exit=-13 comm="cat" exe="/bin/cat" key="sshd_config"',
      'node=web-1 type=USER_START msg=audit(1364481364.001:24288): pid=3538 uid=0 msg=\'op=PAM:session_open acct="root" res=success\'',
      // As CentOS writes them: words between the pairs.
      'type=DAEMON_START msg=audit(1480339148.979:8587): auditd start, ver=2.2 format=raw auid=4294967295 pid=888 res=success',
      'type=USER_AUTH msg=audit(1480339182.240:5): user pid=7124 uid=0 msg=\'op=PAM:authentication acct="root" terminal=tty1 res=success\'',
      'type=LOGIN msg=audit(1480339182.244:7): pid=7124 uid=0 old auid=4294967295 new auid=0 old ses=4294967295 new ses=1',
    ];
    expect(detectFormat(records)).toBe('logfmt');
    const parser = createParser('logfmt');
    const expected = [
      {
        ts: 1364481363243,
        message: 'type=SYSCALL arch=c000003e syscall=2 success=no exit=-13 comm="cat" exe="/bin/cat" key="sshd_config"',
        fields: { type: 'SYSCALL', success: 'no', comm: 'cat' },
      },
      {
        ts: 1364481364001,
        message: 'node=web-1 type=USER_START pid=3538 uid=0 msg=\'op=PAM:session_open acct="root" res=success\'',
      },
      {
        ts: 1480339148979,
        message: 'type=DAEMON_START auditd start, ver=2.2 format=raw auid=4294967295 pid=888 res=success',
        fields: { type: 'DAEMON_START', format: 'raw', res: 'success' },
      },
      { ts: 1480339182240, fields: { acct: 'root', terminal: 'tty1' } },
      { ts: 1480339182244 },
    ];
    records.forEach((r, i) => expect(parser.parse(r), r).toMatchObject({ ...expected[i], format: 'logfmt' }));
    // Words between pairs make any other line plain text.
    expect(parser.parse('level=info user logged in id=3').format).toBe('generic');
  });

  it("reads MongoDB's text log: the severity letter, the component and the context", () => {
    const line =
      '2018-02-17T15:14:44.142+0800 E STORAGE  [initandlisten] exception in initAndListen: NonExistentPath: Data directory /data/db not found., terminating';
    expect(createParser('auto', { sample: [line] }).parse(line)).toMatchObject({
      ts: Date.UTC(2018, 1, 17, 7, 14, 44, 142),
      level: 'error',
      fields: { component: 'STORAGE', context: 'initandlisten' },
      message: 'exception in initAndListen: NonExistentPath: Data directory /data/db not found., terminating',
    });
    const debug = '2018-02-17T15:14:44.142+0800 D2 -        [conn1] run command admin.$cmd { isMaster: 1 }';
    expect(createParser('auto', { sample: [debug] }).parse(debug)).toMatchObject({
      level: 'debug',
      fields: { context: 'conn1' },
    });
  });

  it('parses CSV: header from the sample, numeric columns, a time column and quoted cells', () => {
    const sample = ['timestamp,level,service,latency,count', '2024-03-01 10:00:00,warn,"api, v2",12.5,3'];
    const parser = createParser('csv', { sample });
    expect(parser.parse(sample[0])).toMatchObject({ header: true, format: 'csv' });
    expect(parser.parse(sample[1])).toEqual({
      ts: Date.UTC(2024, 2, 1, 10),
      level: 'warn',
      fields: { service: 'api, v2' },
      numeric: { latency: 12.5, count: 3 },
      message: 'api, v2',
      raw: sample[1],
      format: 'csv',
    });
    expect(parser.parse('only,three,cells').format).toBe('generic');
  });

  it("reads a CSV export's local date and time in the order its rows tell", () => {
    const sample = [
      'Level,Date and Time,Source,Event ID,Message',
      'Information,07/12/2026 23:59:58,Service Control Manager,7036,The service entered the running state.',
      'Error,08/12/2026 00:00:03,Service Control Manager,7031,The service terminated unexpectedly.',
    ];
    const parser = createParser('auto', { sample });
    expect(parser).toMatchObject({ format: 'csv', dateOrder: 'dmy' });
    expect(parser.parse(sample[2])).toMatchObject({ ts: Date.UTC(2026, 11, 8, 0, 0, 3), level: 'error' });
    // Event Viewer's own export: five names, and the description as a sixth, unnamed cell.
    const viewer = [
      'Level,Date and Time,Source,Event ID,Task Category',
      'Error,07/12/2026 23:59:58,Service Control Manager,7031,None,"The Print Spooler service terminated unexpectedly."',
      'Information,08/12/2026 00:00:03,Service Control Manager,7036,None,The Print Spooler service entered the running state.',
    ];
    expect(detectFormat(viewer)).toBe('csv');
    expect(createParser('auto', { sample: viewer }).parse(viewer[1])).toMatchObject({
      ts: Date.UTC(2026, 11, 7, 23, 59, 58),
      level: 'error',
      message: 'The Print Spooler service terminated unexpectedly.',
      fields: { Source: 'Service Control Manager', 'Task Category': 'None' },
      numeric: { 'Event ID': 7031 },
    });
    const us = createParser('auto', { sample: [sample[0], 'Information,12/7/2026 10:15:03 AM,SCM,7036,Started.'] });
    expect(us.parse('Warning,12/7/2026 1:15:03 PM,SCM,7036,Slow.').ts).toBe(Date.UTC(2026, 11, 7, 13, 15, 3));
  });

  it('reads a CSV record whose quoted cell holds line breaks from its first line, and the lines after it as its own', () => {
    const lines = [
      'Level,Date and Time,Source,Event ID,Task Category',
      'Audit Failure,3/1/2024 5:43:20 AM,Microsoft-Windows-Security-Auditing,4625,Logon,"An account failed to log on.',
      '',
      'Subject:',
      '\tAccount Name:\t\t""bob"", then, a, b',
      'Failure Reason:\t\tUnknown user name or bad password."',
      'Information,3/1/2024 5:44:00 AM,Microsoft-Windows-Eventlog,1102,Log clear,"The audit log was cleared."',
    ];
    expect(detectFormat(lines)).toBe('csv');
    const parser = createParser('auto', { sample: lines });
    const parsed = lines.map((l) => parser.parse(l));
    expect(parsed[1]).toMatchObject({
      level: 'Audit Failure',
      message: 'An account failed to log on.',
      numeric: { 'Event ID': 4625 },
      fields: { Source: 'Microsoft-Windows-Security-Auditing', 'Task Category': 'Logon' },
    });
    for (const p of parsed.slice(2, 6)) expect(p).toMatchObject({ header: true, continued: true, format: 'csv' });
    expect(parsed[6]).toMatchObject({ message: 'The audit log was cleared.', numeric: { 'Event ID': 1102 } });
    expect(parsed[6].header).toBeUndefined();
  });

  it("reads Event Viewer's tab-delimited text export as its CSV: the same records, a comma inside a cell kept", () => {
    const csv = [
      'Level,Date and Time,Source,Event ID,Task Category',
      'Audit Failure,3/1/2024 5:43:20 AM,Microsoft-Windows-Security-Auditing,4625,Logon,"An account failed to log on.',
      '\tAccount Name:\t\tbob',
      'Failure Reason:\t\tUnknown user name, or bad password."',
      'Information,3/1/2024 5:44:00 AM,Microsoft-Windows-Eventlog,1102,Log clear,"The audit log was cleared."',
    ];
    const tsv = [
      'Level\tDate and Time\tSource\tEvent ID\tTask Category',
      'Audit Failure\t3/1/2024 5:43:20 AM\tMicrosoft-Windows-Security-Auditing\t4625\tLogon\t"An account failed to log on.',
      '\tAccount Name:\t\tbob',
      'Failure Reason:\t\tUnknown user name, or bad password."',
      'Information\t3/1/2024 5:44:00 AM\tMicrosoft-Windows-Eventlog\t1102\tLog clear\t"The audit log was cleared."',
    ];
    expect(detectFormat(tsv)).toBe('csv');
    const read = (lines: string[]) => {
      const parser = createParser('auto', { sample: lines });
      return lines.map((l) => {
        const { raw, message, ...rest } = parser.parse(l);
        return raw === l && (rest.header ? rest : { message, ...rest });
      });
    };
    expect(read(tsv)).toEqual(read(csv));
    expect(read(tsv)[1]).toMatchObject({ message: 'An account failed to log on.', numeric: { 'Event ID': 4625 } });
    expect(detectFormat(['time\tlevel\tmsg', '2024-03-01T00:00:00Z\tinfo\tstarted, ok'])).toBe('csv');
  });

  // AWS's own examples (docs.aws.amazon.com/vpc/latest/userguide/flow-logs-records-examples.html).
  const VPC_ROWS = [
    '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK',
    '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK',
    '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA',
  ];

  it('reads columns separated by spaces under a header of names (AWS VPC flow logs as S3 holds them)', () => {
    const lines = [
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
      ...VPC_ROWS,
    ];
    expect(detectFormat(lines)).toBe('csv');
    const parser = createParser('auto', { sample: lines });
    expect(parser.parse(lines[0])).toMatchObject({ header: true, format: 'csv' });
    expect(parser.parse(lines[2])).toMatchObject({
      ts: 1418530010_000,
      fields: {
        'interface-id': 'eni-1235b8ca123456789',
        srcaddr: '172.31.9.69',
        dstaddr: '172.31.9.12',
        action: 'REJECT',
      },
      numeric: { dstport: 3389, bytes: 4249, end: 1418530070 },
      message: 'eni-1235b8ca123456789 172.31.9.69 172.31.9.12 REJECT OK',
      format: 'csv',
    });
    expect(parser.parse(lines[3])).toMatchObject({
      ts: 1431280876_000,
      fields: { srcaddr: '-', 'log-status': 'NODATA' },
    });
    // A table aligned with runs of spaces reads the same.
    expect(
      createParser('csv', { sample: ['pid  user   cpu  command', ' 412  root   0.3  sshd'] }).parse(
        ' 412  root   0.3  sshd',
      ),
    ).toMatchObject({
      fields: { user: 'root', command: 'sshd' },
      numeric: { pid: 412, cpu: 0.3 },
    });
  });

  it("reads AWS VPC flow records without their header (CloudWatch Logs') by the default fields", () => {
    expect(detectFormat(VPC_ROWS)).toBe('csv');
    const parser = createParser('auto', { sample: VPC_ROWS });
    expect(parser.parse(VPC_ROWS[0])).toMatchObject({
      ts: 1418530010_000,
      fields: { srcaddr: '172.31.16.139', dstaddr: '172.31.16.21', action: 'ACCEPT' },
      numeric: { srcport: 20641, dstport: 22 },
    });
    expect(parser.header()).toBe(
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
    );
  });

  it('takes a sentence of words first in a file for no header of space-separated columns', () => {
    const lines = [
      'Starting the nightly backup job now',
      'copied users table in 12 seconds ok',
      'copied orders table in 40 seconds ok',
      'backup finished without any errors today',
    ];
    expect(detectFormat(lines)).not.toBe('csv');
    // Lines of as many words as the first, none a number: no table either.
    expect(detectFormat(['INFO user login ok', 'WARN user login failed', 'INFO user logout ok'])).not.toBe('csv');
  });

  it("reads Windows Firewall's pfirewall.log by its #Fields: directive, the date and time of day as its time", () => {
    // Rows as Microsoft's Azure Stack Edge documentation and plaso's tests show them.
    const lines = [
      ...PFIREWALL_HEADER,
      '2019-11-06 12:35:19 DROP UDP 5.5.3.197 224.0.0.251 5353 5353 59 - - - - - - - RECEIVE',
      '2005-04-11 08:05:57 DROP UDP 123.45.78.90 123.156.78.255 137 137 78 - - - - - - - RECEIVE',
    ];
    expect(detectFormat(lines)).toBe('csv');
    const parser = createParser('auto', { sample: lines });
    for (const l of lines.slice(0, 5)) expect(parser.parse(l)).toMatchObject({ header: true });
    expect(parser.parse(lines[5])).toMatchObject({
      ts: Date.UTC(2019, 10, 6, 12, 35, 19),
      fields: { action: 'DROP', protocol: 'UDP', 'src-ip': '5.5.3.197', 'dst-ip': '224.0.0.251', path: 'RECEIVE' },
      numeric: { 'src-port': 5353, 'dst-port': 5353, size: 59 },
    });
    expect(parser.parse(lines[5]).fields.time).toBeUndefined();
    expect(parser.header()).toBe(lines[3]);
  });

  it("finds a CSV header after a preamble of prose (Windows' DHCP server log), the preamble no rows", () => {
    const preamble = DHCP_PREAMBLE;
    const header =
      'ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name, TransactionID, QResult,Probationtime, CorrelationID,Dhcid,VendorClass(Hex),VendorClass(ASCII),UserClass(Hex),UserClass(ASCII),RelayAgentInformation,DnsRegError.';
    const rows = Array.from(
      { length: 6 },
      (_, i) => `11,04/25/26,14:30:1${i},Renew,10.20.30.5${i},host12${i},00112233445${i},,123456${i},0,,,,,,,,,0`,
    );
    const lines = [...preamble, header, ...rows];
    expect(detectFormat(lines)).toBe('csv');
    const parser = createParser('auto', { sample: lines });
    expect(parser.header()).toBe(header);
    for (const l of [...preamble, header]) expect(parser.parse(l)).toMatchObject({ header: true });
    expect(parser.parse(rows[2])).toMatchObject({
      ts: Date.UTC(2026, 3, 25, 14, 30, 12),
      message: 'Renew',
      fields: { 'IP Address': '10.20.30.52', 'Host Name': 'host122' },
      numeric: { ID: 11 },
    });
    expect(parser.parse(rows[2]).fields.Date).toBeUndefined();
  });

  it("reads PowerShell's Export-Csv, the message first and over lines, at the record's last line", () => {
    const lines = [
      '#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord',
      '"Message","Id","Level","ProviderName","TimeCreated","LevelDisplayName"',
      '"The audit log was cleared.',
      'Subject:',
      '\tAccount Name:\t\tbob","1102","4","Microsoft-Windows-Eventlog","12/1/2024 1:00:00 AM","Information"',
      '"A user account was created.","4720","4","Microsoft-Windows-Security-Auditing","12/1/2024 1:00:05 AM","Information"',
    ];
    expect(detectFormat(lines)).toBe('csv');
    const parser = createParser('auto', { sample: lines });
    const parsed = lines.map((l) => parser.parse(l));
    expect(parsed[0]).toMatchObject({ header: true, format: 'csv' });
    expect(parsed[1]).toMatchObject({ header: true, format: 'csv' });
    for (const p of parsed.slice(2, 4)) expect(p).toMatchObject({ header: true, continued: true });
    expect(parsed[4]).toMatchObject({
      message: 'The audit log was cleared.',
      level: 'info',
      numeric: { Id: 1102 },
      ts: Date.UTC(2024, 11, 1, 1),
    });
    expect(parsed[5]).toMatchObject({ message: 'A user account was created.', numeric: { Id: 4720 } });
  });

  it('joins the lines of CSV records by their quotes: escaped quotes, a quote inside a bare cell, two cells over lines', () => {
    expect(
      csvRecords([
        'a,"one ""quoted"" word',
        'and a second line""",b',
        'x,it"s bare,y',
        '"first',
        'cell","second',
        'cell",z',
      ]),
    ).toEqual(['a,"one ""quoted"" word\nand a second line""",b', 'x,it"s bare,y', '"first\ncell","second\ncell",z']);
  });

  it('ends a CSV record left open by a broken line at the next row with a time, or past 64 KB', () => {
    const header = 'time,level,message';
    const parser = createParser('csv', { sample: [header] });
    expect(parser.parse('2024-03-01T10:00:00Z,info,"broken').message).toBe('broken');
    expect(parser.parse('no closing quote here').continued).toBe(true);
    expect(parser.parse('2024-03-01T10:00:01Z,error,disk full')).toMatchObject({
      level: 'error',
      message: 'disk full',
    });
    expect(parser.parse('2024-03-01T10:00:02Z,info,"open again').continued).toBeUndefined();
    expect(parser.parse('x'.repeat(70_000)).continued).toBe(true);
    // the record outgrew 64 KB: the lines after it are rows again (here, not one: generic)
    expect(parser.parse('next line')).toMatchObject({ format: 'generic' });
  });

  it('takes the CSV header from the first line parsed when no sample is given', () => {
    const parser = createParser('csv');
    expect(parser.parse('a,b').header).toBe(true);
    expect(parser.parse('1,x')).toMatchObject({ numeric: { a: 1 }, fields: { b: 'x' }, format: 'csv' });
  });

  it('parses a custom named-group regex: ts, level, message and other groups as fields', () => {
    const parser = createParser('custom', {
      pattern: '^(?<ts>\\S+) \\[(?<level>\\w+)\\] (?<service>[\\w-]+): (?<message>.*)$',
    });
    expect(parser.parse('2024-03-01T00:00:00Z [WARNING] cart-svc: low stock for 12')).toEqual({
      ts: Date.UTC(2024, 2, 1),
      level: 'warn',
      fields: { service: 'cart-svc' },
      message: 'low stock for 12',
      raw: '2024-03-01T00:00:00Z [WARNING] cart-svc: low stock for 12',
      format: 'custom',
    });
    expect(parser.parse('no match').format).toBe('generic');
  });

  it('rejects a custom format without a usable pattern, with a clear message', () => {
    expect(() => createParser('custom')).toThrow(/needs a pattern/);
    expect(() => createParser('custom', { pattern: '(?<a>' })).toThrow(/invalid custom format pattern/);
    expect(() => createParser('custom', { pattern: '^.*$' })).toThrow(/named groups/);
  });
});

describe('generic fallback', () => {
  it('sniffs common leading timestamps and a level word, and strips them from the message', () => {
    const p = createParser('generic');
    expect(p.parse('2024-03-01 12:00:00,123 ERROR pool exhausted')).toMatchObject({
      ts: Date.UTC(2024, 2, 1, 12, 0, 0, 123),
      level: 'error',
      message: 'pool exhausted',
      format: 'generic',
    });
    expect(p.parse('[2024-03-01T12:00:00Z] [warn] disk').ts).toBe(Date.UTC(2024, 2, 1, 12));
    expect(p.parse('1709294400123 started').ts).toBe(1709294400123);
    expect(p.parse('just words here')).toEqual({
      fields: {},
      message: 'just words here',
      raw: 'just words here',
      format: 'generic',
      ts: undefined,
      level: undefined,
    });
  });

  it('falls back to generic per line when a line does not match the chosen format', () => {
    const p = createParser('hdfs');
    expect(p.format).toBe('hdfs');
    expect(p.parse(COMBINED)).toMatchObject({ format: 'generic', message: COMBINED, raw: COMBINED });
    expect(p.parse(HDFS).format).toBe('hdfs');
  });
});

describe('blank lines', () => {
  it('are no rows in any format: read as header lines, also amid a stream and with spaces or a CR', () => {
    const syslog = ['Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0', '', '  \r'];
    const parser = createParser('auto', { sample: syslog });
    expect(parser.format).toBe('syslog');
    expect(parser.parse(syslog[1])).toEqual({ fields: {}, message: '', raw: '', format: 'syslog', header: true });
    expect(parser.parse(syslog[2])).toMatchObject({ header: true, message: '' });
    expect(parser.parse(syslog[0]).header).toBeUndefined();
  });
});

describe('detectFormat', () => {
  const cases: [string, string[]][] = [
    ['apache', [COMBINED, COMMON]],
    ['nginx', [NGINX, NGINX_BARE]],
    ['hdfs', [HDFS, HDFS]],
    ['syslog', [BGL, RFC3164, RFC5424]],
    ['json', ['{"msg":"a","level":"info"}', '{"msg":"b"}']],
    ['logfmt', ['level=info msg=started port=80', 'level=warn msg="slow query" took=3s']],
    ['csv', ['time,level,latency', '2024-03-01T00:00:00Z,info,3', '2024-03-01T00:00:01Z,warn,9']],
    ['generic', ['hello world', 'something else happened']],
  ];
  it.each(cases)('detects %s', (format, sample) => {
    expect(detectFormat(sample)).toBe(format);
    expect(createParser('auto', { sample }).format).toBe(format);
  });

  it('goes by the majority and ignores empty lines and unparseable noise', () => {
    expect(detectFormat(['', HDFS, 'garbage', '   ', HDFS, COMBINED, HDFS])).toBe('hdfs');
    expect(detectFormat([])).toBe('generic');
  });

  it('reads CRLF samples', () => {
    expect(detectFormat([`${HDFS}\r\n`, `${HDFS}\r`])).toBe('hdfs');
  });
});
