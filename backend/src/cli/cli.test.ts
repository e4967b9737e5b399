import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { csvRows, normalAccessLog, plantedAccessLine, systemLog } from '../../test/fixtures/logs.js';
import { HDFS_SAMPLE as HDFS } from '@anomalog/generator';

const BIN = fileURLToPath(new URL('../../bin/anomalog.js', import.meta.url));
const SEVERITIES = ['normal', 'low', 'medium', 'high', 'critical'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function anomalog(args: string[], stdin?: Buffer | string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { maxBuffer: 1 << 28, env: { ...process.env, ANOMALOG_DEBUG: '' } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(stdin);
  });
}

/** A temp dir and a writer of files in it. */
async function scratch(prefix: string) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const file = async (name: string, content: string | Buffer) => {
    const p = join(dir, name);
    await writeFile(p, content);
    return p;
  };
  return { dir, file };
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
}

/** The --json contract: one object per input line, in order, exactly these keys (and `burst` on a burst's lines). */
function expectContract(records: Record<string, unknown>[], lines: number): void {
  expect(records).toHaveLength(lines);
  records.forEach((r, i) => {
    const keys = ['line', 'score', 'severity', 'anomaly', 'reasons', 'template'];
    expect(Object.keys(r)).toEqual(r.burst === undefined ? keys : [...keys, 'burst']);
    expect(r.line).toBe(i + 1);
    expect(r.score).toBeGreaterThanOrEqual(0);
    expect(r.score).toBeLessThanOrEqual(1);
    expect(SEVERITIES).toContain(r.severity);
    expect(r.anomaly).toBe(r.severity !== 'normal');
    expect(Array.isArray(r.reasons)).toBe(true);
    expect(typeof r.template).toBe('string');
  });
}

describe('anomalog scan', { timeout: 300_000 }, async () => {
  const { dir, file } = await scratch('anomalog-cli-');
  const access = normalAccessLog(3000);
  access[1200] = plantedAccessLine(1200, {
    target: "/search?q=1'%20UNION%20SELECT%20password%20FROM%20users--",
    ua: 'sqlmap/1.7.2',
  });
  access[2400] = plantedAccessLine(2400, {
    target: '/cgi-bin/test.cgi?cmd=;cat%20/etc/passwd',
    status: 500,
    ua: 'curl/7.68.0',
  });
  const accessPath = await file('access.log', `${access.join('\n')}\n`);

  it('scores HDFS_2k.log by block sessions under the --json contract', async () => {
    const run = await anomalog(['scan', HDFS, '--session-key', 'blk_-?\\d+', '--detector', 'iforest', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const records = jsonLines(run.stdout);
    expectContract(records, 2000);
    expect(records[0].template).toMatch(/^PacketResponder <\*> for block <\*> terminating$/);
  });

  it('trains a model, then finds the planted attacks in an access log with it, strongest first', async () => {
    const model = join(dir, 'models', 'web.json');
    const trained = await anomalog(['train', accessPath, '--out', model, '--detector', 'iforest', '--seed', '3']);
    expect(trained.code).toBe(0);
    expect(trained.stderr).toMatch(/trained iforest model "web" on 3,000 lines \(apache\)/);
    const run = await anomalog(['scan', accessPath, '--model', model, '--detector', 'ensemble', '--json']);
    expect(run.code).toBe(0);
    const records = jsonLines(run.stdout);
    expectContract(records, 3000);
    const ranked = [...records].sort((a, b) => (b.score as number) - (a.score as number));
    expect(
      ranked
        .slice(0, 2)
        .map((r) => r.line)
        .sort(),
    ).toEqual([1201, 2401]);
    expect(records[1200].reasons).toContain("SQL injection (UNION SELECT): 1' union select password from users--");
    expect(records[2400].reasons).toContain('command injection (command cat after a separator): ;cat /etc/passwd');
  });

  it('reads a format of your own with --pattern, in train and scan', async () => {
    const pattern = '^(?<ts>[^|]+)\\|(?<host>[^|]+)\\|(?<level>[A-Z]+)\\|(?<message>.*)$';
    const lines = Array.from(
      { length: 800 },
      (_, i) =>
        `2024-03-01T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z|worker-${i % 4}|INFO|job ${1000 + i} finished in ${40 + (i % 9)} ms`,
    );
    lines[500] = '2024-03-01T10:08:20Z|worker-2|FATAL|scheduler lost its lease on the job queue';
    const custom = await file('jobs.log', `${lines.join('\n')}\n`);
    const model = join(dir, 'models', 'jobs.json');
    const trained = await anomalog(['train', custom, '--out', model, '--pattern', pattern, '--detector', 'iforest']);
    expect(trained.stderr).toMatch(/trained iforest model "jobs" on 800 lines \(custom\)/);
    const [withModel, selfTrained] = await Promise.all([
      anomalog(['scan', custom, '--model', model, '--json']),
      anomalog(['scan', custom, '--format', 'custom', '--pattern', pattern, '--detector', 'iforest', '--json']),
    ]);
    for (const run of [withModel, selfTrained]) {
      expect(run.code).toBe(0);
      const records = jsonLines(run.stdout);
      expectContract(records, 800);
      // A unit after a number is part of the variable (docs/formats.md, Templates).
      expect(records[0].template).toBe('job <*> finished in <*>');
      expect(records[500].severity).toMatch(/^(high|critical)$/);
      expect(records[500].reasons).toContain('FATAL is unusual in this stream (1 of 800 training lines)');
    }
  });

  it('warns when the format it was told reads few of the lines it learns from', async () => {
    const wrong = await anomalog(['scan', HDFS, '--format', 'apache', '--detector', 'iforest']);
    expect(wrong.code).toBe(0);
    expect(wrong.stderr).toBe(
      'anomalog: warning: 2,000 of the 2,000 lines learnt from are not apache lines (read as plain text); check --format\n',
    );
    const trained = await anomalog([
      'train',
      HDFS,
      '--format',
      'nginx',
      '--detector',
      'iforest',
      '--out',
      join(dir, 'wrong.json'),
    ]);
    expect(trained.stderr).toMatch(/^anomalog: warning: 2,000 of the 2,000 lines learnt from are not nginx lines/);
    const right = await anomalog(['scan', HDFS, '--detector', 'iforest']);
    expect(right.stderr).toBe('');
  });

  it('prints a summary with the top anomalies and their reasons', async () => {
    const run = await anomalog(['scan', accessPath, '--detector', 'iforest']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/lines: 3,000 {3}anomalies: \d+ \(critical \d+, high \d+, medium \d+, low \d+\)/);
    expect(run.stdout).toMatch(/top \d+ anomalies:/);
    expect(run.stdout).not.toContain('\x1b[');
  });

  it('scans a CSV, stdin and gzip input', async () => {
    const csv = csvRows(600);
    csv[300] = '2024-03-01T00:05:00Z,web-0,9000,0.4';
    const csvPath = await file('metrics.csv', `${csv.join('\n')}\n`);
    const gzPath = await file('access.log.gz', gzipSync(`${access.slice(0, 500).join('\n')}\n`));
    const [fromCsv, fromStdin, fromGzip] = await Promise.all([
      anomalog(['scan', csvPath, '--detector', 'iforest', '--json']),
      anomalog(['scan', '-', '--detector', 'iforest', '--json'], `${access.slice(0, 500).join('\n')}\n`),
      anomalog(['scan', gzPath, '--detector', 'iforest', '--json']),
    ]);
    const csvRecords = jsonLines(fromCsv.stdout);
    expectContract(csvRecords, 601);
    expect(csvRecords[0].template).toBe('<header>');
    expect(csvRecords[300].anomaly).toBe(true);
    expect((csvRecords[300].reasons as string[]).join('; ')).toContain('latency_ms = 9000');
    expectContract(jsonLines(fromStdin.stdout), 500);
    expect(jsonLines(fromGzip.stdout)).toEqual(jsonLines(fromStdin.stdout));
  });
});

describe('anomalog scan on worker threads', { timeout: 300_000 }, async () => {
  const { dir, file } = await scratch('anomalog-threads-');
  const access = normalAccessLog(6000);
  access[3000] = plantedAccessLine(3000, { target: '/search?q=<script>alert(1)</script>', ua: 'Nikto/2.1.6' });
  access[4500] = 'not an access line at all';
  const accessPath = await file('access.log', `${access.join('\n')}\n`);

  /** The same arguments on one thread and on several: the output must be the same bytes. */
  async function expectSameOnThreads(args: string[], threads = 3): Promise<Run> {
    const [one, many] = await Promise.all([
      anomalog([...args, '--threads', '1']),
      anomalog([...args, '--threads', String(threads)]),
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(many.stderr).toBe(one.stderr);
    expect(many.stdout).toBe(one.stdout);
    return one;
  }

  it('gives the same --json lines and summary for an access log (lines dealt by client)', async () => {
    const json = await expectSameOnThreads(['scan', accessPath, '--detector', 'iforest', '--json']);
    const records = jsonLines(json.stdout);
    expectContract(records, 6000);
    expect(records[4500].template).toMatch(/^<unparsed/);
    const summary = await expectSameOnThreads(['scan', accessPath, '--detector', 'iforest']);
    expect(summary.stdout).toMatch(/lines: 6,000 {3}anomalies: [1-9]/);
  });

  it('gives the same output for HDFS sessions (lines dealt by session) and without sessions (in blocks)', async () => {
    const sessions = await expectSameOnThreads(
      ['scan', HDFS, '--session-key', 'blk_-?\\d+', '--detector', 'iforest', '--json'],
      2,
    );
    expectContract(jsonLines(sessions.stdout), 2000);
    expectContract(
      jsonLines((await expectSameOnThreads(['scan', HDFS, '--detector', 'iforest', '--json'], 2)).stdout),
      2000,
    );
  });

  it('scores with an autoencoder on the workers, and reports a cut line once', async () => {
    const model = join(dir, 'ensemble.json');
    expect((await anomalog(['train', accessPath, '--out', model, '--seed', '2'])).code).toBe(0);
    expectContract(
      jsonLines((await expectSameOnThreads(['scan', accessPath, '--model', model, '--json'], 2)).stdout),
      6000,
    );
    const huge = await file(
      'huge.log',
      `${access.slice(0, 100).join('\n')}\n${'A'.repeat(200_000)}\n${access.slice(100, 300).join('\n')}\n`,
    );
    const run = await expectSameOnThreads(['scan', huge, '--model', model, '--json'], 2);
    expect(run.stderr).toBe('anomalog: 1 line(s) longer than 65536 characters were cut for scoring\n');
  });

  it('finds a burst of a routine template in new data, first lines too, the same on 1 and 2 threads', async () => {
    const quiet = await file('quiet.log', `${systemLog(220, 40).join('\n')}\n`);
    const model = join(dir, 'quiet.json');
    expect((await anomalog(['train', quiet, '--out', model, '--detector', 'iforest', '--seed', '1'])).code).toBe(0);
    const lines = systemLog(220, 40, { 190: 14 });
    const burst = await file('burst.log', `${lines.join('\n')}\n`);
    const records = jsonLines((await expectSameOnThreads(['scan', burst, '--model', model, '--json'], 2)).stdout) as {
      line: number;
      anomaly: boolean;
      reasons: string[];
      burst?: string;
    }[];
    const flagged = records.filter((r) => r.anomaly);
    expect(flagged.map((r) => lines[r.line - 1])).toEqual(
      lines.filter((l) => l.startsWith('2024-03-01 13:10') && l.includes('ERROR')),
    );
    for (const r of flagged) {
      expect(r.reasons).toEqual([
        'burst: 14 lines of this template in the minute from 2024-03-01 13:10 (usually at most 1 a minute when it appears)',
      ]);
      expect(r.burst).toBe('1@2024-03-01T13:10Z');
    }
    const summary = await expectSameOnThreads(['scan', burst, '--model', model], 2);
    expect(summary.stdout).toMatch(/anomalies: 14 /);
    // One event: the burst's first line stands for it.
    expect(summary.stdout.match(/^line \d+/gm)).toEqual([`line ${flagged[0].line}`]);
  });

  it('learns from the first --train-lines lines and says so', async () => {
    const run = await anomalog(['scan', accessPath, '--detector', 'iforest', '--train-lines', '1000']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('iforest detector, trained on its first 1,000 lines');
    expect(run.stdout).toMatch(/lines: 6,000 /);
  });
});

describe('bad input', { timeout: 300_000 }, async () => {
  const { dir, file } = await scratch('anomalog-bad-');

  it('fails with one clear line and a non-zero exit, never a stack trace', async () => {
    const binary = await file('core.bin', Buffer.from(Array.from({ length: 9000 }, (_, i) => (i * 7919) % 256)));
    const notModel = await file('model.json', '{"schema":"something-else/2"}');
    const log = await file('ok.log', `${normalAccessLog(300).join('\n')}\n`);
    const oneLine = await file('one.log', `${normalAccessLog(1)[0]}\n`);
    const cases: [string[], number, RegExp][] = [
      [
        ['scan', oneLine, '--detector', 'autoencoder'],
        1,
        /^anomalog: the autoencoder needs at least 2 training rows, got 1\n$/,
      ],
      [['scan', join(dir, 'absent.log')], 1, /^anomalog: no such file: .*absent\.log\n$/],
      [['scan', dir], 1, /^anomalog: .* is a directory, not a log file\n$/],
      [['scan', binary], 1, /^anomalog: .*core\.bin looks like binary data, not a text log\n$/],
      [
        ['scan', log, '--model', notModel],
        1,
        /^anomalog: .*model\.json is not a usable model: schema "something-else\/2", expected "anomalog-model\/1"\n$/,
      ],
      [
        ['scan', log, '--detector', 'magic'],
        2,
        /^anomalog: --detector must be one of iforest\|autoencoder\|ensemble, got "magic" \(see: anomalog scan --help\)\n$/,
      ],
      [['scan', log, '--session-key', '(unclosed'], 1, /^anomalog: invalid --session-key regex/],
      [['scan', log, '--threads', '0'], 2, /^anomalog: --threads must be at least 1 \(see: anomalog scan --help\)\n$/],
      [
        ['scan', log, '--train-lines', 'lots'],
        2,
        /^anomalog: --train-lines must be a positive number of lines or "all", got "lots"/,
      ],
      [['scan', log, '--pattern', '(?<message>.*'], 1, /^anomalog: invalid custom format pattern/],
      [['scan', log, '--pattern', '^(\\S+) (.*)$'], 1, /^anomalog: custom format pattern needs named groups/],
      [
        ['scan', log, '--format', 'apache', '--pattern', '(?<message>.*)'],
        2,
        /--pattern goes with --format custom, not --format apache/,
      ],
      [['train', log, '--out', join(dir, 'm.json'), '--format', 'custom'], 2, /--format custom needs --pattern REGEX/],
      [['train', log], 2, /train needs --out PATH/],
      [['frobnicate'], 2, /unknown command "frobnicate"/],
    ];
    const runs = await Promise.all(cases.map(([args]) => anomalog(args)));
    runs.forEach((run, i) => {
      const [args, code, message] = cases[i];
      expect(run.code, args.join(' ')).toBe(code);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stdout).toBe('');
    });
  });

  it('scans a one-line file with the default detector (the ensemble without its autoencoder)', async () => {
    const run = await anomalog(['scan', await file('single.log', `${normalAccessLog(1)[0]}\n`), '--json']);
    expect(run.code).toBe(0);
    expectContract(jsonLines(run.stdout), 1);
  });

  it('replaces bad UTF-8 and scores a 10 MB line instead of crashing', async () => {
    const lines = normalAccessLog(400);
    const bad = Buffer.concat([
      Buffer.from(`${lines.slice(0, 200).join('\n')}\n`),
      Buffer.from([0x31, 0xff, 0xfe, 0xc3, 0x28, 0x0a]),
      Buffer.from(`${lines.slice(200).join('\n')}\n`),
    ]);
    const huge = `${lines.slice(0, 300).join('\n')}\n${'A'.repeat(10 * 1024 * 1024)}\n${lines.slice(300).join('\n')}\n`;
    const [badRun, hugeRun] = await Promise.all([
      anomalog(['scan', await file('bad-utf8.log', bad), '--detector', 'iforest', '--json']),
      anomalog(['scan', await file('huge.log', huge), '--detector', 'iforest', '--json']),
    ]);
    expect(badRun.code).toBe(0);
    expectContract(jsonLines(badRun.stdout), 401);
    expect(hugeRun.code).toBe(0);
    expect(hugeRun.stderr).toBe('anomalog: 1 line(s) longer than 65536 characters were cut for scoring\n');
    const records = jsonLines(hugeRun.stdout);
    expectContract(records, 401);
    expect(records[300].anomaly).toBe(true);
  });
});
