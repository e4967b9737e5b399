import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../test/fixtures/datasets.js';
import {
  csvRows,
  DHCP_PREAMBLE,
  hdfsSessions,
  normalAccessLog,
  plantedAccessLine,
  systemLog,
} from '../../test/fixtures/logs.js';
import type { ScoredLine } from '../types.js';
import { createParser } from '../parsing/index.js';
import { createScorer, train, type TrainProgress } from './index.js';

function scoreAll(scorer: ReturnType<typeof createScorer>, lines: string[]): ScoredLine[] {
  const out: ScoredLine[] = [];
  for (const l of lines) out.push(...scorer.push(l));
  out.push(...scorer.end());
  return out;
}

describe('web logs', async () => {
  const model = await train(normalAccessLog(4000), { detector: 'iforest', seed: 7, name: 'web' });
  const planted = [
    plantedAccessLine(4001, {
      target: "/search?q=1'%20UNION%20SELECT%20username,password%20FROM%20users--",
      ua: 'sqlmap/1.7.2',
    }),
    plantedAccessLine(4002, { target: '/api/orders', bytes: 90_000_000 }),
  ];
  const normal = normalAccessLog(4100, 99).slice(4003);

  it('flags planted attacks with readable reasons, strongest first, and leaves normal traffic alone', () => {
    const scored = scoreAll(createScorer(model, { detector: 'ensemble' }), [...planted, ...normal]);
    expect(scored).toHaveLength(planted.length + normal.length);
    const [sqli, bytes] = scored;
    expect(sqli.severity === 'high' || sqli.severity === 'critical').toBe(true);
    expect(sqli.reasons[0]).toBe("SQL injection (UNION SELECT): 1' union select username,password from users--");
    expect(sqli.reasons).toContain('scanner or tool user agent: sqlmap');
    expect(bytes.anomaly).toBe(true);
    expect(bytes.reasons.some((r) => /^bytes \d+σ above \/api\/orders baseline$/.test(r))).toBe(true);
    const falsePositives = scored.slice(2).filter((s) => s.anomaly).length;
    expect(falsePositives).toBeLessThan(normal.length * 0.02);
    expect(Math.max(...scored.slice(2).map((s) => s.score))).toBeLessThan(sqli.score);
    expect(sqli.detector).toMatch(/^web\/ensemble@[0-9a-f]{8}$/);
    expect(sqli.template).toBe('GET /search');
  });

  it('reads a page training never saw, answered as pages are, as new content; not found, as a probe', async () => {
    // A site with a long tail: besides its routes, 400 pages read once each (a blog's posts, at its root).
    const words = ['ssh', 'xvfb', 'puppet', 'munin', 'zfs', 'ipv6', 'grok', 'redis', 'jquery', 'dns'];
    const pages = words.flatMap((a) =>
      words.flatMap((b) => [`/${a}-${b}`, `/${a}-and-${b}`, `/${a}-${b}-notes`, `/${b}-on-${a}`]),
    );
    const lines = normalAccessLog(4000);
    pages.forEach(
      (target, i) => (lines[i * 10 + 5] = plantedAccessLine(i * 10 + 5, { ip: `10.1.0.${i % 200}`, target })),
    );
    const longTail = await train(lines, { seed: 7, name: 'blog' });
    const [page, missing] = scoreAll(createScorer(longTail), [
      ...normal.slice(0, 50),
      plantedAccessLine(4150, { ip: '10.0.0.7', target: '/about-us', bytes: 5200 }),
      plantedAccessLine(4151, { ip: '10.0.0.8', target: '/.git/config', status: 404, bytes: 180 }),
    ]).slice(50);
    expect(page.anomaly).toBe(false);
    expect(missing.severity === 'high' || missing.severity === 'critical').toBe(true);
    expect(missing.reasons).toContain('new template never seen in training');
    // A site of a few routes: a new page is unusual there, said as a new page, not as a novel template.
    const [few] = scoreAll(createScorer(model, { detector: 'ensemble' }), [
      plantedAccessLine(4150, { ip: '10.0.0.7', target: '/about-us', bytes: 5200 }),
    ]);
    expect(few.reasons).toEqual(['new page "GET /about-us", read and answered as pages are']);
  });

  it('scores the same traffic alike whatever layout the server writes it in (W3C, JSON)', async () => {
    const apache = createParser('apache');
    const asW3c = (line: string) => {
      const f = apache.parse(line).fields;
      const at = new Date(apache.parse(line).ts!).toISOString();
      return `${at.slice(0, 10)} ${at.slice(11, 19)} ${f.method} ${f.path} ${f.query || '-'} ${f.ip} ${f.ua.replaceAll(' ', '+')} ${f.status} ${f.bytes}`;
    };
    const asJson = (line: string) => {
      const p = apache.parse(line);
      const f = p.fields;
      const target = f.query ? `${f.path}?${f.query}` : f.path;
      return JSON.stringify({
        time: new Date(p.ts!).toISOString(),
        remote_addr: f.ip,
        request: `${f.method} ${target} ${f.protocol}`,
        status: Number(f.status),
        body_bytes_sent: Number(f.bytes),
        http_user_agent: f.ua,
      });
    };
    const directive = '#Fields: date time cs-method cs-uri-stem cs-uri-query c-ip cs(User-Agent) sc-status sc-bytes';
    const probe = [...planted, ...normal.slice(0, 300)];
    const flagsOf = async (lines: string[], render: (l: string) => string) => {
      const m = await train(lines.map(render), { detector: 'iforest', seed: 7, name: 'web' });
      return { model: m, scored: scoreAll(createScorer(m, { detector: 'ensemble' }), probe.map(render)) };
    };
    const training = normalAccessLog(4000);
    const base = await flagsOf(training, (l) => l);
    const w3c = await flagsOf([directive, ...training], (l) => (l === directive ? l : asW3c(l)));
    const json = await flagsOf(training, asJson);
    expect(w3c.model).toMatchObject({
      format: 'w3c',
      parserState: { header: directive },
      featureSchema: { family: 'web' },
    });
    expect(json.model).toMatchObject({ format: 'json-access', featureSchema: { family: 'web' } });
    for (const other of [w3c, json]) {
      expect(other.scored.map((l) => l.anomaly)).toEqual(base.scored.map((l) => l.anomaly));
      expect(other.scored[0].reasons[0]).toBe(base.scored[0].reasons[0]);
      expect(other.scored[0].template).toBe('GET /search');
    }
  });

  it('records the sha256 of the lines it learnt from, each followed by a newline', async () => {
    const lines = [...normalAccessLog(300, 4), 'non-ASCII: café σ'];
    const { trainedOn } = await train(lines, { detector: 'iforest', seed: 1 });
    expect(trainedOn.sha256).toBe(
      createHash('sha256')
        .update(`${lines.join('\n')}\n`)
        .digest('hex'),
    );
  });

  it('puts every attack pattern at high or above, with a browser user agent and an ordinary status', () => {
    const attacks = {
      'SQL injection (OR expression): 1 or 1=1': '/api/users?id=1%20OR%201=1',
      'XSS (<script> tag): <script>alert(1)</script>': '/search?q=%3Cscript%3Ealert(1)%3C/script%3E',
      'path traversal (sensitive file etc/hosts): /static/../../etc/hosts.bak': '/static/../../etc/hosts.bak',
      'command injection (command whoami after a separator): …27.0.0.1;whoami': '/api/ping?host=127.0.0.1;whoami',
    };
    const lines = Object.values(attacks).map((target, k) => plantedAccessLine(4001 + k, { target }));
    const scored = createScorer(model, { detector: 'ensemble' }).pushBatch(lines);
    expect(scored.map((s) => s.reasons[0])).toEqual(Object.keys(attacks));
    for (const s of scored) expect(['high', 'critical'], s.line).toContain(s.severity);
  });

  it('explains a burst from one client against the baseline rate', () => {
    const burst = Array.from({ length: 150 }, (_, k) =>
      plantedAccessLine(4001 + k / 10, { ip: '10.9.9.7', target: '/login', method: 'POST', status: 401 }),
    );
    const scored = scoreAll(createScorer(model, { detector: 'iforest' }), burst);
    const last = scored[scored.length - 1];
    expect(last.anomaly).toBe(true);
    expect(last.reasons.join('; ')).toMatch(
      /client 10\.9\.9\.7 sent \d+ requests\/min, \d+× the typical client's rate/,
    );
  });

  it('learns no client rate from a warm-up shorter than two windows: its steady traffic is not flagged for rates', async () => {
    // 200 clients at random, 50 lines a second: a 4-s warm-up sees a client 1-3 times, a minute sees it 15 times.
    const paced = (from: number, n: number) =>
      Array.from({ length: n }, (_, k) => {
        const i = from + k;
        const ip = `10.0.7.${(Math.imul(i + 1, 2654435761) >>> 0) % 200}`;
        return plantedAccessLine(i / 25, { ip, target: `/api/cart/${i % 97}`, status: i % 50 ? 200 : 404 });
      });
    const warm = await train(paced(0, 200), { detector: 'iforest', seed: 7, name: 'warm' });
    const scored = scoreAll(createScorer(warm), paced(200, 3_000));
    expect(scored.filter((s) => s.reasons.some((r) => /requests\/min/.test(r)))).toEqual([]);
    expect(scored.filter((s) => s.anomaly).length).toBeLessThan(30);
  });

  it('scores the same lines the same way in one batch or line by line', () => {
    const lines = [...planted, ...normal.slice(0, 50)];
    const a = scoreAll(createScorer(model), lines).map((s) => s.score);
    const b = createScorer(model)
      .pushBatch(lines)
      .map((s) => s.score);
    expect(b).toEqual(a);
  });
});

describe('system logs', () => {
  const hdfsLine = (i: number, fatal: boolean) => {
    const t = `${String(10 + Math.floor(i / 3600)).padStart(2, '0')}${String(Math.floor(i / 60) % 60).padStart(2, '0')}${String(i % 60).padStart(2, '0')}`;
    return fatal
      ? `081109 ${t} 19 FATAL dfs.DataNode: Kernel panic: unable to mount root fs on unknown-block(0,0)`
      : `081109 ${t} ${100 + (i % 7)} INFO dfs.DataNode$PacketResponder: PacketResponder ${i % 3} for block blk_${4000 + i} terminating`;
  };

  it('flags FATAL lines that training never had, high, with the level in words', async () => {
    const clean = Array.from({ length: 3000 }, (_, i) => hdfsLine(i, false));
    const model = await train(clean, { detector: 'iforest', seed: 3 });
    const lines = Array.from({ length: 3000 }, (_, i) => hdfsLine(i, i % 50 === 7));
    const scored = scoreAll(createScorer(model, { detector: 'ensemble' }), lines);
    const fatal = scored.filter((s) => s.line.includes('FATAL'));
    expect(fatal).toHaveLength(60);
    expect(fatal.every((s) => s.severity === 'high' || s.severity === 'critical')).toBe(true);
    expect(fatal[0].reasons).toContain('FATAL is unusual in this stream (0 of 3,000 training lines)');
    expect(scored.filter((s) => s.anomaly && !s.line.includes('FATAL')).length).toBeLessThan(30);
  });

  it("counts as unparsed the lines its format does not read, but not the bodies of the records it does (a trace's frames)", async () => {
    const trace = [
      'java.net.ConnectException: Connection refused (Connection refused)',
      '\tat java.net.PlainSocketImpl.socketConnect(Native Method)',
      '\t... 12 more',
      'Caused by: java.io.IOException: Client was shutdown',
      '#0 /app/vendor/View.php(47): Engine->handleViewException()',
      'Traceback (most recent call last):',
      '  File "/app/main.py", line 3, in <module>',
    ];
    const record = (i: number) => [
      `2018-07-03 06:04:${String(i % 60).padStart(2, '0')},784 WARN  [main] QuorumCnxManager: Cannot open channel to ${i % 3}`,
      ...trace,
    ];
    const lines = Array.from({ length: 60 }, (_, i) => record(i)).flat();
    const traces = await train(lines, { detector: 'iforest', seed: 1 });
    expect(traces.format).toBe('log4j');
    expect(traces.trainedOn.unparsed).toBeUndefined();
    const prose = lines.map((l, i) => (i % 8 === 0 ? l : `plain words number ${i}`));
    const withProse = await train(prose, { detector: 'iforest', seed: 1, format: 'log4j' });
    expect(withProse.trainedOn.unparsed).toBe(420);
  });

  it('scores a blank line as no line of the log: normal, template <blank>, and learns no template of it', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => (i % 1000 === 500 ? '' : hdfsLine(i, false)));
    const model = await train(lines, { seed: 3 });
    const scored = scoreAll(createScorer(model), lines);
    const blank = scored.filter((s) => s.line === '');
    expect(blank).toHaveLength(3);
    for (const s of blank) expect(s).toMatchObject({ template: '<blank>', severity: 'normal', anomaly: false });
    const { templates } = model.parserState;
    expect(templates.kind === 'drain' && templates.drain.templates.some((t) => t.tokens.length === 0)).toBe(false);
    expect(templates.total).toBe(2997);
  });

  it('does not alarm on a FATAL line that is routine for its template in training (60 of 3,000, self-trained)', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => hdfsLine(i, i % 50 === 7));
    const model = await train(lines, { detector: 'iforest', seed: 3 });
    const scored = scoreAll(createScorer(model, { detector: 'ensemble' }), lines);
    expect(scored.filter((s) => s.anomaly).length).toBeLessThan(30);
    expect(scored.filter((s) => s.anomaly && s.line.includes('FATAL'))).toHaveLength(0);
  });

  it('flags ERROR on a template that training saw only at INFO, saying so with the baseline', async () => {
    const lines = Array.from(
      { length: 2000 },
      (_, i) =>
        `2024-03-01 12:00:${String(i % 60).padStart(2, '0')},000 INFO [main] com.x.Pool: pool ${i % 5} has ${i % 17} idle connections`,
    );
    lines[1500] = lines[1500].replace(' INFO ', ' ERROR ');
    const model = await train(lines, { detector: 'iforest', seed: 3 });
    const scored = scoreAll(createScorer(model, { detector: 'ensemble' }), lines);
    expect(scored[1500].anomaly).toBe(true);
    expect(scored[1500].reasons[0]).toMatch(/^ERROR is unusual for this template \(1 of 2,000 in training\)$/);
    expect(scored.filter((s) => s.anomaly)).toHaveLength(1);
  });

  it('ranks lines by how rare their template is, with continuous scores (no plateau)', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++)
      lines.push(`2024-03-01 12:00:00,000 INFO [main] com.x.Job: task ${i} finished in ${i % 90} ms`);
    lines[100] = '2024-03-01 12:00:00,000 INFO [main] com.x.Job: checkpoint written to disk';
    lines[200] = '2024-03-01 12:00:00,000 ERROR [main] com.x.Job: checkpoint failed: disk quota exceeded';
    lines[300] = '2024-03-01 12:00:00,000 WARN [main] com.x.Job: replica lagging behind leader';
    lines[301] = '2024-03-01 12:00:00,000 WARN [main] com.x.Job: replica lagging behind leader';
    const model = await train(lines, { detector: 'iforest', seed: 3 });
    const scored = scoreAll(createScorer(model, { detector: 'ensemble' }), lines);
    const order = scored
      .map((s, i) => [s.score, i] as const)
      .sort((a, b) => b[0] - a[0])
      .map(([, i]) => i);
    expect(new Set(order.slice(0, 2))).toEqual(new Set([100, 200]));
    expect(order.indexOf(300)).toBeLessThan(20);
    expect(scored[200].score).toBeGreaterThan(scored[100].score);
    expect(scored[100].score).toBeGreaterThan(scored[300].score);
    expect(new Set([scored[100].score, scored[200].score, scored[300].score]).size).toBe(3);
    expect(scored[100].reasons).toEqual(['rare template: seen 1 time in 2,000 training lines']);
    expect(scored[200].reasons).toContain('trouble word "failed"');
    expect(scored.flatMap((s) => s.reasons).some((r) => /keyword: |×/.test(r))).toBe(false);
  });
});

describe('rarity beside the members (loghub HealthApp, self-trained)', async () => {
  const lines = readFileSync(join(DATASETS, 'loghub_2k/HealthApp/HealthApp_2k.log'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const model = await train(lines, { seed: 1 });
  const seen = (scored: ScoredLine[]) => {
    const counts = new Map<string, number>();
    for (const s of scored) counts.set(s.template, (counts.get(s.template) ?? 0) + 1);
    return (s: ScoredLine) => counts.get(s.template)!;
  };

  it('ranks every line of a template seen once above the unflagged lines of templates seen 5 times or more', () => {
    const scored = scoreAll(createScorer(model), lines);
    const count = seen(scored);
    const once = scored.filter((s) => count(s) === 1);
    const routine = scored.filter((s) => count(s) >= 5 && !s.anomaly);
    expect(once.length).toBeGreaterThan(20);
    expect(Math.min(...once.map((s) => s.score))).toBeGreaterThan(Math.max(...routine.map((s) => s.score)));
  });

  it("reads rarity on the bands of the detector that scores: under each one alone, no more lines are flagged than the ensemble's", () => {
    const flagged = (detector: 'ensemble' | 'iforest' | 'autoencoder') =>
      scoreAll(createScorer(model, { detector }), lines).filter((s) => s.anomaly).length;
    const ensemble = flagged('ensemble');
    expect(ensemble).toBeLessThanOrEqual(lines.length * 0.015);
    expect(flagged('iforest')).toBeLessThanOrEqual(ensemble);
    expect(flagged('autoencoder')).toBeLessThanOrEqual(ensemble);
  });
});

describe('sessions', () => {
  it('holds the lines of a session until it closes and marks every line of an anomalous one, in input order', async () => {
    const key = 'blk_-?\\d+';
    const model = await train(hdfsSessions(300), { detector: 'iforest', seed: 5, sessionKey: key });
    expect(model.sessions?.sessions).toBe(300);
    const lines = hdfsSessions(20, { skipStep: new Map([[7, 4]]) });
    const scorer = createScorer(model, { detector: 'ensemble' });
    const early = lines.flatMap((l) => scorer.push(l));
    const scored = [...early, ...scorer.end()];
    expect(scored.map((s) => s.line)).toEqual(lines);
    const broken = scored.filter((s) => s.session === 'blk_1007');
    expect(broken).toHaveLength(4);
    for (const s of broken) {
      expect(s.anomaly).toBe(true);
      expect(s.reasons[0]).toBe("session blk_1007: step 'addStoredBlock' missing from the usual lifecycle");
    }
    expect(scored.filter((s) => s.anomaly && s.session !== 'blk_1007')).toEqual([]);
  });
});

describe('CSV', () => {
  it('uses numeric columns as features and names the one out of range', async () => {
    const rows = csvRows(2000);
    const model = await train(rows, { detector: 'iforest', seed: 2 });
    expect(model.format).toBe('csv');
    const scorer = createScorer(model, { detector: 'ensemble' });
    const [header, spike] = [...scorer.pushBatch([rows[0], '2024-03-01T01:00:00Z,web-1,9000,0.41']), ...scorer.end()];
    expect(header.score).toBe(0);
    expect(spike.anomaly).toBe(true);
    expect(spike.reasons.join('; ')).toContain('latency_ms = 9000');
  });

  it("reads a table after a preamble of prose (Windows' DHCP server log): the prose no rows, the rare events flagged", async () => {
    const preamble = DHCP_PREAMBLE;
    const header = 'ID,Date,Time,Description,IP Address,Host Name,MAC Address';
    const clock = (i: number) =>
      `${String(Math.floor(i / 60) % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00`;
    const rows = Array.from({ length: 1500 }, (_, i) => {
      const host = 10 + (i % 90);
      return `11,03/04/24,${clock(i)},Renew,10.20.30.${host},ws-${host},A0B1C2D30${host}`;
    });
    rows.splice(900, 0, '14,03/04/24,15:00:30,Scope Full,10.20.30.0,,');
    const lines = [...preamble, header, ...rows];
    const model = await train(lines, { seed: 2 });
    expect({ format: model.format, preamble: model.parserState.preamble }).toEqual({ format: 'csv', preamble: true });
    const scored = scoreAll(createScorer(model), lines);
    expect(scored.slice(0, preamble.length + 1).filter((s) => s.anomaly)).toEqual([]);
    expect(scored.filter((s) => s.anomaly).map((s) => s.line)).toEqual([
      '14,03/04/24,15:00:30,Scope Full,10.20.30.0,,',
    ]);
  });
});

describe('the default ensemble', () => {
  it('holds every member, scores with any one of them on request, and each ranks a planted anomaly first', async () => {
    const model = await train(normalAccessLog(1500), { seed: 9, name: 'web', autoencoderEpochs: 8 });
    expect(model.detector).toBe('ensemble');
    expect(Object.keys(model.members).sort()).toEqual(['autoencoder', 'iforest']);
    const probe = [
      ...normalAccessLog(1700, 5).slice(1500),
      plantedAccessLine(1700, { target: '/api/orders', bytes: 50_000_000, status: 500 }),
    ];
    for (const detector of ['ensemble', 'iforest', 'autoencoder'] as const) {
      const scored = createScorer(model, { detector }).pushBatch(probe);
      const top = scored.reduce((best, s, i) => (s.score > scored[best].score ? i : best), 0);
      expect(top, detector).toBe(probe.length - 1);
      expect(scored[top].detector).toMatch(new RegExp(`^web/${detector}@`));
    }
    expect(createScorer(model).pushBatch(probe.slice(-1))[0].severity).toBe('critical');
    const ae = createScorer(model, { detector: 'autoencoder' }).pushBatch(probe.slice(-1))[0];
    expect(ae.reasons.join('; ')).toMatch(
      /bytes \d+σ above \/api\/orders baseline, (?:far |well )?outside the learned pattern/,
    );
  });
});

describe('the autoencoder of a large line sample', () => {
  it('fits on the short schedule (12 epochs, then 4), the same model for the same seed, on its thread or not', async () => {
    // 9,000 lines: more than SHORT_FIT_ROWS (8,192); the first fit also runs on the autoencoder's thread (as the CLI's)
    const lines = normalAccessLog(9000);
    const fit = async (seed: number, autoencoderThread = false) => {
      const epochs = new Set<string>();
      const onProgress = (p: TrainProgress) => {
        if (p.phase === 'autoencoder') epochs.add(`${p.progress.phase} of ${p.progress.epochs}`);
      };
      const model = await train(lines, { seed, onProgress, autoencoderThread });
      return { epochs: [...epochs], autoencoder: JSON.stringify(model.members.autoencoder) };
    };
    const a = await fit(2, true);
    expect(a.epochs).toEqual(['train of 12', 'refit of 4']);
    expect((await fit(2)).autoencoder).toBe(a.autoencoder);
    expect((await fit(3)).autoencoder).not.toBe(a.autoencoder);
  }, 120_000);
});

describe('bursts', () => {
  const ts = (min: number, sec: number) =>
    `2024-03-01 ${String(10 + Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}:${String(sec).padStart(2, '0')},000`;

  it('marks every line of a template storm far above its own rate, with the rate and the baseline, and nothing else', async () => {
    const lines: string[] = [];
    for (let min = 0; min < 60; min++) {
      for (let k = 0; k < 30; k++)
        lines.push(`${ts(min, k * 2)} INFO [main] com.x.Pool: request ${min * 30 + k} served in ${k % 9} ms`);
      if (min % 5 === 2) lines.push(`${ts(min, 59)} ERROR [db] com.x.Db: connection reset by peer`);
      if (min === 40)
        for (let k = 0; k < 120; k++)
          lines.push(`${ts(min, Math.floor(k / 2.5))} ERROR [db] com.x.Db: connection reset by peer`);
    }
    const model = await train(lines, { seed: 3 });
    const scored = scoreAll(createScorer(model), lines);
    const storm = scored.filter((s) => s.line.includes('ERROR') && s.line.startsWith(ts(40, 0).slice(0, 16)));
    expect(storm).toHaveLength(120);
    expect(storm.every((s) => s.anomaly)).toBe(true);
    const reason = storm[0].reasons.find((r) => r.startsWith('burst:'));
    expect(reason).toBe(
      'burst: 120 lines of this template in the minute from 2024-03-01 10:40 (usually at most 1 a minute when it appears)',
    );
    expect(storm.every((s) => s.reasons.includes(reason!) && s.burst === storm[0].burst)).toBe(true);
    expect(scored.filter((s) => s.anomaly).length).toBe(120);
  });

  it('finds a burst in new data: a model trained on a quiet log marks every line of the burst, the first ones too', async () => {
    const model = await train(systemLog(60, 40), { seed: 1, detector: 'iforest' });
    const lines = systemLog(60, 40, { 25: 14 });
    const scored = scoreAll(createScorer(model), lines);
    expect(scored).toHaveLength(lines.length);
    expect(scored.map((s) => s.line)).toEqual(lines);
    const burst = scored.filter((s) => s.line.startsWith('2024-03-01 10:25') && s.line.includes('ERROR'));
    expect(burst).toHaveLength(14);
    expect(scored.filter((s) => s.anomaly)).toEqual(burst);
    for (const s of burst) {
      expect(s.reasons).toEqual([
        'burst: 14 lines of this template in the minute from 2024-03-01 10:25 (usually at most 1 a minute when it appears)',
      ]);
      expect(s.burst).toBe(burst[0].burst);
    }
    // Nine lines of the template in a minute are not yet ten times its usual one.
    const nine = scoreAll(createScorer(model), systemLog(60, 40, { 25: 9 }));
    expect(nine.filter((s) => s.anomaly)).toEqual([]);
  });

  it('learns no rate from a training span of a few seconds: a busy stream learnt from its first lines is not all bursts', async () => {
    // 200 lines in 4 s (one partial minute), then the same pace for 3 minutes: 3,000 lines a minute is the usual rate.
    const pace = (from: number, n: number) =>
      Array.from(
        { length: n },
        (_, k) =>
          `${ts(Math.floor((from + k) / 50 / 60), Math.floor((from + k) / 50) % 60)} INFO [main] com.x.Pool: request ${from + k} served in ${k % 9} ms`,
      );
    const model = await train(pace(0, 200), { seed: 1, detector: 'iforest' });
    const scored = scoreAll(createScorer(model), pace(200, 9_000));
    expect(scored.filter((s) => s.burst !== undefined)).toHaveLength(0);
  });

  it('holds at most 100,000 lines for bursts over all scorers of the process: past that a scorer lets its lines go', async () => {
    const model = await train(systemLog(60, 40), { seed: 1, detector: 'iforest' });
    // 1,991 lines of one open minute: each scorer holds them all (its own cap is 2,048); 50 hold 99,550.
    const minute = systemLog(1, 1_990);
    const holders = Array.from({ length: 50 }, () => createScorer(model));
    for (const scorer of holders) expect(scorer.pushBatch(minute)).toHaveLength(0);
    // The next scorer reaches 100,000 at its 500th line and lets the lines it holds go.
    expect(createScorer(model).pushBatch(minute.slice(0, 1_000)).length).toBeGreaterThanOrEqual(500);
    // Lines let go give their share back: a scorer holds again.
    expect(holders[0].flush()).toHaveLength(minute.length);
    expect(createScorer(model).pushBatch(minute.slice(0, 1_000))).toHaveLength(0);
    for (const scorer of holders) scorer.flush();
  });

  it('keeps one burst id over consecutive burst minutes, and a new one after a quiet minute', async () => {
    const model = await train(systemLog(60, 40), { seed: 1, detector: 'iforest' });
    const lines = systemLog(20, 40, { 10: 12, 11: 30, 13: 12 });
    const ids = scoreAll(createScorer(model), lines)
      .filter((s) => s.anomaly)
      .map((s) => `${s.line.slice(11, 16)} ${s.burst}`);
    expect(new Set(ids)).toEqual(
      new Set(['10:10 1@2024-03-01T10:10Z', '10:11 1@2024-03-01T10:10Z', '10:13 1@2024-03-01T10:13Z']),
    );
  });
});
