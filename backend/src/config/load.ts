import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config, type ConfigInput } from './schema.js';

export { configSchema, type Config, type ConfigInput, type Thresholds } from './schema.js';

/** A configuration mistake; the message names the key (and the environment variable when one set it). */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadConfigOptions {
  /** YAML file; default ANOMALOG_CONFIG, else ./anomalog.yaml when it exists; null = built-in defaults only. */
  path?: string | null;
  env?: Record<string, string | undefined>;
  /** Applied last (tests, CLI flags). */
  overrides?: ConfigInput;
  /** Directory relative paths are resolved against; default the config file's directory, else the cwd. */
  baseDir?: string;
}

const ENV_PREFIX = 'ANOMALOG_';
const ENV_ALIASES: Record<string, string[]> = {
  ANOMALOG_TOKEN: ['server', 'token'],
  ANOMALOG_SHARD: ['watch', 'shard'],
};

export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const path =
    opts.path === null
      ? undefined
      : (opts.path ?? env.ANOMALOG_CONFIG ?? (existsSync('anomalog.yaml') ? 'anomalog.yaml' : undefined));
  const fromFile = path === undefined ? {} : readYaml(path);
  const { values: fromEnv, sources } = envOverrides(env);
  const merged = deepMerge(deepMerge(fromFile, fromEnv), opts.overrides ?? {});
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues, sources, path));
  return resolvePaths(parsed.data, opts.baseDir ?? (path ? dirname(resolve(path)) : process.cwd()));
}

function readYaml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`cannot read the config file ${path}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`${path} must hold a YAML mapping`);
  return doc as Record<string, unknown>;
}

/** The environment name of every settable key: server.limits.bodyBytes -> ANOMALOG_SERVER_LIMITS_BODY_BYTES. */
function envKeys(): Map<string, { path: string[]; example: unknown }> {
  const template = configSchema.parse({ sources: { loki: { url: 'x' } } });
  const keys = new Map<string, { path: string[]; example: unknown }>();
  const walk = (node: unknown, path: string[]) => {
    if (path.length > 0) {
      const name = ENV_PREFIX + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
      keys.set(name, { path, example: node });
    }
    if (node && typeof node === 'object' && !Array.isArray(node)) {
      for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
    }
  };
  walk(template, []);
  for (const [name, path] of Object.entries(ENV_ALIASES)) keys.set(name, { path, example: '' });
  return keys;
}

function envOverrides(env: Record<string, string | undefined>) {
  const keys = envKeys();
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const [name, raw] of Object.entries(env)) {
    const key = keys.get(name);
    if (!key || raw === undefined) continue;
    setPath(values, key.path, envValue(name, raw, key.example));
    sources.set(key.path.join('.'), name);
  }
  return { values, sources };
}

function envValue(name: string, raw: string, example: unknown): unknown {
  if (typeof example === 'number') return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  if (typeof example === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  if (example !== null && typeof example === 'object') {
    try {
      return JSON.parse(raw);
    } catch {
      throw new ConfigError(`${name} must be JSON (it sets a list or mapping)`);
    }
  }
  return raw;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown) {
  let node = target;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[path[path.length - 1]] = value;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function deepMerge(base: unknown, over: unknown): Record<string, unknown> {
  if (!isMapping(base)) return isMapping(over) ? over : {};
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over as Record<string, unknown>)) {
    out[key] = isMapping(value) && isMapping(out[key]) ? deepMerge(out[key], value) : value;
  }
  return out;
}

function describeIssues(issues: z.core.$ZodIssue[], envSources: Map<string, string>, file?: string): string {
  const lines = issues.map((issue) => {
    const key = issue.path.reduce<string>(
      (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
      '',
    );
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => (key ? `${key}.${k}` : k)) : [key];
    const fromEnv = [...envSources].find(([path]) => key === path || key.startsWith(`${path}.`))?.[1];
    const where = fromEnv ? ` (set by ${fromEnv})` : '';
    return `${keys.join(', ') || '(root)'}${where}: ${issue.message}`;
  });
  return `invalid configuration${file ? ` in ${file}` : ''}:\n  ${lines.join('\n  ')}`;
}

function resolvePaths(config: Config, base: string): Config {
  const at = (p: string) => resolve(base, p);
  return {
    ...config,
    models: { ...config.models, dir: at(config.models.dir) },
    sources: { ...config.sources, file: config.sources.file.map((f) => ({ ...f, path: at(f.path) })) },
    watch: { ...config.watch, checkpoint: at(config.watch.checkpoint) },
    uploads: { ...config.uploads, dir: at(config.uploads.dir) },
    feedback: { ...config.feedback, file: at(config.feedback.file) },
  };
}
