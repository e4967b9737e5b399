import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.js';
import { matchesSelector, parseSelector } from '../logql/selector.js';

const ROOT_CONFIG = fileURLToPath(new URL('../../../anomalog.yaml', import.meta.url));

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'anomalog-config-'));
  const path = join(dir, 'anomalog.yaml');
  writeFileSync(path, text);
  return path;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads the shipped anomalog.yaml with durations in ms and paths resolved against the file', () => {
    const config = loadConfig({ path: ROOT_CONFIG, env: {} });
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    expect(config.server.port).toBe(3101);
    expect(config.server.limits.batchLines).toBe(10_000);
    expect(config.watch.interval).toBe(2_000);
    expect(config.uploads.ttl).toBe(24 * 3_600_000);
    expect(config.models.dir).toBe(join(root, 'models'));
    expect(config.sources.file[0]).toEqual({ path: join(root, 'data/logs/access*.log'), labels: { job: 'web' } });
    expect(config.sources.loki).toBeUndefined();
    expect(config.streams.map((s) => s.model)).toEqual(['web', 'app', 'hdfs']);
  });

  it('fills defaults when there is no file', () => {
    const config = loadConfig({ path: null, env: {}, baseDir: '/srv' });
    expect(config.defaults).toEqual({ detector: 'ensemble', model: 'web' });
    expect(config.server.token).toBe('');
    expect(config.uploads.dir).toBe('/srv/data/uploads');
  });

  it('applies ANOMALOG_* overrides, numbers and JSON lists included', () => {
    const config = loadConfig({
      path: ROOT_CONFIG,
      env: {
        ANOMALOG_SERVER_PORT: '8080',
        ANOMALOG_TOKEN: 's3cret',
        ANOMALOG_DEFAULTS_DETECTOR: 'iforest',
        ANOMALOG_SERVER_LIMITS_BATCH_LINES: '50',
        ANOMALOG_SOURCES_LOKI_URL: 'http://loki:3100',
        ANOMALOG_WATCH_STREAMS: '["{job=\\"web\\"}"]',
        ANOMALOG_UNRELATED: 'ignored',
      },
    });
    expect(config.server.port).toBe(8080);
    expect(config.server.token).toBe('s3cret');
    expect(config.defaults.detector).toBe('iforest');
    expect(config.server.limits.batchLines).toBe(50);
    expect(config.sources.loki).toEqual({ url: 'http://loki:3100', tenant: '', bearer: '', basicAuth: '' });
    expect(config.watch.streams).toEqual(['{job="web"}']);
  });

  it('names the bad key, and the variable that set it', () => {
    expect(errorOf(() => loadConfig({ path: yamlFile('server: { port: "high" }\n'), env: {} }))).toMatch(
      /server\.port/,
    );
    expect(errorOf(() => loadConfig({ path: yamlFile('defaults: { detector: forest }\n'), env: {} }))).toMatch(
      /defaults\.detector/,
    );
    expect(errorOf(() => loadConfig({ path: yamlFile('uploads: { ttl: soon }\n'), env: {} }))).toMatch(
      /uploads\.ttl: "soon" is not a duration/,
    );
    expect(
      errorOf(() => loadConfig({ path: yamlFile('streams: [{ selector: "job=web", model: web }]\n'), env: {} })),
    ).toMatch(/streams\[0\]\.selector/);
    expect(errorOf(() => loadConfig({ path: yamlFile('server: { prot: 1 }\n'), env: {} }))).toMatch(/server\.prot/);
    expect(errorOf(() => loadConfig({ path: null, env: { ANOMALOG_SERVER_PORT: 'abc' } }))).toMatch(
      /server\.port \(set by ANOMALOG_SERVER_PORT\)/,
    );
    expect(errorOf(() => loadConfig({ path: null, env: { ANOMALOG_STREAMS: '[oops' } }))).toMatch(
      /ANOMALOG_STREAMS must be JSON/,
    );
  });

  it('takes a named-group pattern for a file source in a format of your own, and checks it', () => {
    const source = (entry: string) =>
      yamlFile(`sources:\n  file:\n    - { path: /var/log/jobs.log, labels: { job: jobs }, ${entry} }\n`);
    const config = loadConfig({ path: source("pattern: '^(?<level>[A-Z]+) (?<message>.*)$'"), env: {} });
    expect(config.sources.file[0].pattern).toBe('^(?<level>[A-Z]+) (?<message>.*)$');
    expect(errorOf(() => loadConfig({ path: source("pattern: '(?<message>.*'"), env: {} }))).toMatch(
      /sources\.file\[0\]\.pattern: invalid custom format pattern/,
    );
    expect(errorOf(() => loadConfig({ path: source('format: custom'), env: {} }))).toMatch(
      /sources\.file\[0\]\.pattern: format custom needs a pattern/,
    );
    expect(errorOf(() => loadConfig({ path: source("format: nginx, pattern: '(?<message>.*)'"), env: {} }))).toMatch(
      /sources\.file\[0\]\.format: a pattern goes with format custom, not nginx/,
    );
  });

  it('reports unreadable and malformed files plainly', () => {
    expect(errorOf(() => loadConfig({ path: '/nonexistent/anomalog.yaml', env: {} }))).toMatch(/cannot read/);
    expect(errorOf(() => loadConfig({ path: yamlFile('server: [\n'), env: {} }))).toMatch(/not valid YAML/);
    expect(errorOf(() => loadConfig({ path: yamlFile('- a\n- b\n'), env: {} }))).toMatch(/mapping/);
  });
});

describe('stream selectors', () => {
  it('match the four operators', () => {
    const m = parseSelector('{job="web", env=~"prod|stage", host!="a", path!~"/health.*"}');
    expect(matchesSelector(m, { job: 'web', env: 'prod', host: 'b', path: '/x' })).toBe(true);
    expect(matchesSelector(m, { job: 'web', env: 'dev', host: 'b', path: '/x' })).toBe(false);
    expect(matchesSelector(m, { job: 'web', env: 'prod', host: 'a', path: '/x' })).toBe(false);
    expect(matchesSelector(m, { job: 'web', env: 'prod', host: 'b', path: '/healthz' })).toBe(false);
    expect(matchesSelector(parseSelector('{job="a\\"b"}'), { job: 'a"b' })).toBe(true);
  });

  it('reject what is not a selector', () => {
    expect(() => parseSelector('job="web"')).toThrow(/not a stream selector/);
    expect(() => parseSelector('{}')).toThrow(/no label matcher/);
    expect(() => parseSelector('{job=web}')).toThrow(/cannot read the matcher/);
    expect(() => parseSelector('{job=~"("}')).toThrow(/bad regular expression/);
  });
});
