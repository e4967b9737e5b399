import { describe, expect, it } from 'vitest';
import { createParser, detectFormat } from './index.js';
import { parseGeneric } from './generic.js';

// One line of each shape, as the loghub samples (and their common relatives) write them.
const CASES: [string, string, Record<string, unknown>][] = [
  [
    'log4j',
    '2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1',
    {
      level: 'info',
      fields: { thread: 'main', component: 'org.apache.hadoop.mapreduce.v2.app.MRAppMaster' },
      message: 'Created MRAppMaster for application appattempt_1',
    },
  ],
  [
    'log4j',
    '2015-07-29 19:04:29,071 - WARN  [SendWorker:188978561024:QuorumCnxManager$SendWorker@688] - Send worker leaving thread',
    { level: 'warn', message: 'Send worker leaving thread' },
  ],
  [
    'log4j',
    '17/06/09 20:10:40 INFO spark.SecurityManager: Changing view acls to: yarn,curi',
    { level: 'info', fields: { component: 'spark.SecurityManager' }, message: 'Changing view acls to: yarn,curi' },
  ],
  [
    'log4j',
    '2024-03-01 12:00:00.123 [main] ERROR com.x.Y - pool exhausted',
    { level: 'error', fields: { thread: 'main', component: 'com.x.Y' }, message: 'pool exhausted' },
  ],
  [
    'log4j',
    '2024-03-01 12:00:00.123  WARN 12345 --- [main] c.e.App : low disk',
    { level: 'warn', fields: { pid: '12345', thread: 'main', component: 'c.e.App' }, message: 'low disk' },
  ],
  ['log4j', 'ERROR 2024-03-01 12:00:00,123 [main] c.x.Y: boom', { level: 'error', message: 'boom' }],
  // logback's default layout (`%d{HH:mm:ss.SSS} [%thread] %-5level %logger{36} - %msg%n`): a time of day alone
  [
    'log4j',
    '12:34:56.789 [http-nio-8080-exec-1] WARN  c.e.shop.OrderService - stock low for sku 42',
    {
      level: 'warn',
      fields: { thread: 'http-nio-8080-exec-1', component: 'c.e.shop.OrderService' },
      message: 'stock low for sku 42',
    },
  ],
  [
    'log4j',
    "2024-03-01T12:00:01.123456Z 8 [Note] [MY-010914] [Server] Aborted connection 8 to db: 'shop' user: 'app'",
    {
      ts: Date.UTC(2024, 2, 1, 12, 0, 1, 123),
      level: 'info',
      fields: { pid: '8', context: 'Server' },
      message: "Aborted connection 8 to db: 'shop' user: 'app'",
    },
  ],
  [
    'log4j',
    'ERROR [CompactionExecutor:1] 2024-03-01 12:00:01,456 CassandraDaemon.java:228 - Exception in thread',
    {
      ts: Date.UTC(2024, 2, 1, 12, 0, 1, 456),
      level: 'error',
      fields: { thread: 'CompactionExecutor:1', component: 'CassandraDaemon.java:228' },
      message: 'Exception in thread',
    },
  ],
  [
    'log4j',
    '[2024-03-01T12:00:01,456][WARN ][o.e.c.r.a.DiskThresholdMonitor] [node-1] high disk watermark [90%] exceeded',
    {
      level: 'warn',
      fields: { component: 'o.e.c.r.a.DiskThresholdMonitor', context: 'node-1' },
      message: 'high disk watermark [90%] exceeded',
    },
  ],
  [
    'log4j',
    '2024-03-01 12:00:02.000 UTC [125] FATAL:  password authentication failed for user "bob"',
    {
      ts: Date.UTC(2024, 2, 1, 12, 0, 2),
      level: 'fatal',
      fields: { pid: '125' },
      message: 'password authentication failed for user "bob"',
    },
  ],
  [
    'log4j',
    '2024-03-01 14:00:00.000 +0200 [7] LOG:  checkpoint starting: time',
    { ts: Date.UTC(2024, 2, 1, 12), level: 'info', fields: { pid: '7' }, message: 'checkpoint starting: time' },
  ],
  [
    'log4j',
    'I, [2024-03-01T12:00:00.123456 #1234]  INFO -- : Started GET "/" for 127.0.0.1',
    {
      ts: Date.UTC(2024, 2, 1, 12, 0, 0, 123),
      level: 'info',
      fields: { pid: '1234' },
      message: 'Started GET "/" for 127.0.0.1',
    },
  ],
  [
    'openstack',
    'nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38 113d - - -] 10.11.10.1 "GET /v2 HTTP/1.1" status: 200',
    {
      level: 'info',
      fields: { pid: '25746', component: 'nova.osapi_compute.wsgi.server', context: 'req-38 113d - - -' },
      message: '10.11.10.1 "GET /v2 HTTP/1.1" status: 200',
    },
  ],
  [
    'windows-cbs',
    '2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505',
    { level: 'info', fields: { component: 'CBS' }, message: 'Loaded Servicing Stack v6.1.7601.23505' },
  ],
  [
    'apache-error',
    '[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6',
    { ts: Date.UTC(2005, 11, 4, 4, 47, 44), level: 'error', message: 'mod_jk child workerEnv in error state 6' },
  ],
  [
    'apache-error',
    '[Wed Oct 11 14:32:52.123 2000] [core:error] [pid 35708:tid 4328] [client 72.15.99.187:80] File does not exist',
    {
      level: 'error',
      fields: { module: 'core', pid: '35708:tid 4328', client: '72.15.99.187:80' },
      message: 'File does not exist',
    },
  ],
  [
    'apache-error',
    '2024/03/01 12:00:00 [error] 123#0: *5 open() failed',
    { level: 'error', fields: { pid: '123' }, message: 'open() failed' },
  ],
  [
    'pipe',
    '20171223-22:16:0:150|Step_SPUtils|30002312| getTodayTotalDetailSteps = 1514038440000##7053',
    {
      fields: { component: 'Step_SPUtils', pid: '30002312' },
      message: 'getTodayTotalDetailSteps = 1514038440000##7053',
    },
  ],
  [
    'proxifier',
    '[10.30 16:49:06] chrome.exe *64 - proxy.cse.cuhk.edu.hk:5070 open through proxy',
    { fields: { program: 'chrome.exe', bits: '64' }, message: 'proxy.cse.cuhk.edu.hk:5070 open through proxy' },
  ],
  [
    'logcat',
    '03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs opening app wtoken = AppWindowToken{9f4ef63 token=Token{a64f992}}',
    {
      level: 'debug',
      fields: { pid: '1702', tid: '2395', component: 'WindowManager' },
      message: 'printFreezingDisplayLogs opening app wtoken = AppWindowToken{9f4ef63 token=Token{a64f992}}',
    },
  ],
  [
    'klog',
    'E0301 12:00:01.000000       1 reflector.go:138] failed to list *v1.Pod: connection refused',
    {
      level: 'error',
      fields: { tid: '1', component: 'reflector.go:138' },
      message: 'failed to list *v1.Pod: connection refused',
    },
  ],
  [
    'timestamped',
    '1:M 01 Mar 2024 12:00:01.456 # WARNING overcommit_memory is set to 0!',
    {
      ts: Date.UTC(2024, 2, 1, 12, 0, 1, 456),
      level: 'warn',
      fields: { pid: '1', role: 'M' },
      message: 'WARNING overcommit_memory is set to 0!',
    },
  ],
  [
    'timestamped',
    '3792:M 08 Aug 22:31:42.276 # WARNING overcommit_memory is set to 0!',
    { level: 'warn', fields: { pid: '3792', role: 'M' }, message: 'WARNING overcommit_memory is set to 0!' },
  ],
  [
    'timestamped',
    '2024-03-01T12:00:00.123456789Z stderr F error: connection refused',
    {
      ts: Date.UTC(2024, 2, 1, 12, 0, 0, 123),
      level: 'error',
      fields: { stream: 'stderr' },
      message: 'error: connection refused',
    },
  ],
  [
    'timestamped',
    '2024-03-01 12:00:01.223456+0100 0x1a2c     Error       0x0                  456    7    WindowServer: [com.apple.windowserver:display] failed to set mode',
    {
      ts: Date.UTC(2024, 2, 1, 11, 0, 1, 223),
      level: 'error',
      fields: { tid: '0x1a2c', pid: '456', component: 'WindowServer' },
      message: '[com.apple.windowserver:display] failed to set mode',
    },
  ],
  [
    'timestamped',
    '2024-03-01T12:00:00Z worker 3 started',
    { ts: Date.UTC(2024, 2, 1, 12), message: 'worker 3 started' },
  ],
  ['timestamped', '1709294400.5 worker 3 started', { ts: 1709294400500, message: 'worker 3 started' }],
];

describe('application headers', () => {
  it.each(CASES)('%s: %s', (format, line, expected) => {
    expect(detectFormat([line, line])).toBe(format);
    const p = createParser(format as never).parse(line);
    expect(p).toMatchObject({ format, ...expected });
  });

  it("reads java.util.logging's two-line records: the message line with its level, at the time of the line before", () => {
    const jul = [
      'Mar 19, 2018 6:25:29 PM hudson.model.AsyncPeriodicWork$1 run',
      'WARNING: Started Azure VM Maintainer Pool Size',
      'Mar 19, 2018 6:25:50 PM hudson.model.AsyncPeriodicWork$1 run',
      'SEVERE: Finished Azure VM Maintainer Pool Size. 0 ms',
    ];
    expect(detectFormat(jul)).toBe('timestamped');
    const parser = createParser('timestamped');
    expect(jul.map((l) => parser.parse(l))).toMatchObject([
      { format: 'timestamped', ts: Date.UTC(2018, 2, 19, 18, 25, 29), message: 'hudson.model.AsyncPeriodicWork$1 run' },
      {
        format: 'timestamped',
        ts: Date.UTC(2018, 2, 19, 18, 25, 29),
        level: 'warn',
        message: 'Started Azure VM Maintainer Pool Size',
      },
      { format: 'timestamped', ts: Date.UTC(2018, 2, 19, 18, 25, 50) },
      { format: 'timestamped', level: 'error', message: 'Finished Azure VM Maintainer Pool Size. 0 ms' },
    ]);
    expect(createParser('log4j').parse(jul[1]).format).toBe('generic');
  });

  it('reads the yearless dates of logcat and Proxifier (this year, or last when that is ahead), milliseconds too', () => {
    const tsOf = (format: string, line: string) => new Date(createParser(format as never).parse(line).ts!);
    const logcat = tsOf('logcat', '03-17 16:13:38.811  1702  2395 D WindowManager: Skipping');
    const proxifier = tsOf('proxifier', '[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 close');
    expect(logcat.toISOString().slice(4)).toBe('-03-17T16:13:38.811Z');
    expect(proxifier.toISOString().slice(4)).toBe('-10-30T16:49:06.000Z');
    for (const d of [logcat, proxifier]) {
      expect(d.getTime()).toBeLessThanOrEqual(Date.now() + 86_400_000);
      expect(d.getUTCFullYear()).toBeGreaterThanOrEqual(new Date().getUTCFullYear() - 1);
    }
  });

  it('Thunderbird-style lines (label, epoch, date, node, then RFC 3164) are syslog, the label not a field', () => {
    const line =
      '- 1131566461 2005.11.09 dn228 Nov  9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root';
    expect(detectFormat([line])).toBe('syslog');
    expect(createParser('syslog').parse(line)).toMatchObject({
      fields: { host: 'dn228/dn228', app: 'crond(pam_unix)', pid: '2915' },
      message: 'session closed for user root',
      raw: line,
    });
  });

  it('Mac and Linux syslog without a priority are syslog', () => {
    expect(
      detectFormat(['Jul  1 09:01:05 calvisitor-10-105-160-95 com.apple.CDScheduler[43]: Thermal pressure state: 1']),
    ).toBe('syslog');
    expect(detectFormat(['Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0'])).toBe(
      'syslog',
    );
  });
});

describe("Samba's debug headers", () => {
  it('read the time and the debug level (0 error, 1 warn, 2 info, more debug), the source location as the message', () => {
    const lines = [
      '[2017/09/06 16:16:32.386013,  1] ../source3/param/loadparm.c:2375(lp_idmap_range)',
      "  idmap range not specified for domain '*'",
      '[2017/09/07 15:29:44.995749,  0, pid=1234, effective(0, 0), real(0, 0)] ../source3/param/loadparm.c:4386(widelinks_warning)',
      '[2017/09/07 15:29:46.321399,  5] ../source3/smbd/server.c:69(main)',
    ];
    expect(detectFormat(lines)).toBe('timestamped');
    const parser = createParser('auto', { sample: lines });
    expect(parser.parse(lines[0])).toMatchObject({
      ts: Date.UTC(2017, 8, 6, 16, 16, 32, 386),
      level: 'warn',
      message: '../source3/param/loadparm.c:2375(lp_idmap_range)',
    });
    expect(parser.parse(lines[2])).toMatchObject({
      level: 'error',
      message: '../source3/param/loadparm.c:4386(widelinks_warning)',
    });
    expect(parser.parse(lines[3]).level).toBe('debug');
  });
});

describe("Cisco's message codes", () => {
  it('give the severity of %FACILITY-SEVERITY-MNEMONIC: (IOS, ASA) as the level', () => {
    const ios =
      'Mar  1 18:46:11 10.0.0.1 312: *Mar  1 18:46:11.123: %LINK-3-UPDOWN: Interface Fa0/1, changed state to down';
    const asa =
      '2011-04-26T18:47:57-06:00 ant-fw : %ASA-6-106100: access-list inside permitted udp inside/192.168.30.30(56542)';
    const crit = '2011-04-26T18:47:58-06:00 ant-fw : %ASA-2-106001: Inbound TCP connection denied from 10.1.1.1/4242';
    for (const [line, level] of [
      [ios, 'error'],
      [asa, 'info'],
      [crit, 'fatal'],
    ])
      expect(createParser('auto', { sample: [line] }).parse(line).level).toBe(level);
    expect(
      createParser('auto', { sample: [asa] }).parse('2011-04-26T18:47:59-06:00 fw : 100% done').level,
    ).toBeUndefined();
  });
});

describe("the kernel's uptime", () => {
  it('is no part of the message, in syslog or as dmesg prints it, so its width changes no template', () => {
    const messages = ['usb 1-1: new high-speed USB device number 2 using xhci_hcd'];
    const uptimes = ['[    5.104211]', '[  512.300000]', '[51234.500001]'];
    const syslog = uptimes.map((u) => `May  9 01:39:01 stephen kernel: ${u} ${messages[0]}`);
    const syslogParser = createParser('auto', { sample: syslog });
    for (const line of syslog)
      expect(syslogParser.parse(line)).toMatchObject({
        format: 'syslog',
        fields: { app: 'kernel', uptime: expect.stringMatching(/^\d+\.\d{6}$/) },
        message: messages[0],
      });
    // the X server's log has the same uptime, and its marks are levels
    const xorg = [
      '[ 36879.749] (EE) NVIDIA(0): Failed to initialize the GLX module',
      '[ 36879.749] (II) LoadModule: "glx"',
    ];
    const xorgParser = createParser('auto', { sample: xorg });
    expect(xorg.map((l) => xorgParser.parse(l).level)).toEqual(['error', 'info']);
    const dmesg = uptimes.map((u) => `${u} ${messages[0]}`);
    const dmesgParser = createParser('auto', { sample: dmesg });
    for (const line of dmesg) expect(dmesgParser.parse(line)).toMatchObject({ message: messages[0], ts: undefined });
  });
});

describe('generic fallback strips any recognised timestamp', () => {
  it.each([
    ['[Sun Dec 04 04:47:44 2005] something odd', 'something odd'],
    ['Sun, 3 Mar 2024 12:00:01 GMT something odd', 'something odd'],
    ['03 Mar 2024 12:00:01 something odd', 'something odd'],
    ['17/06/09 20:10:40 something odd', 'something odd'],
    ['Added global filter', 'Added global filter'],
  ])('%s', (line, message) => {
    const p = parseGeneric(line);
    expect(p.message).toBe(message);
    expect(p.ts === undefined).toBe(line === message);
  });
});
