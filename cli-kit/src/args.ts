import type { z } from 'zod';
import { CliError, usage } from './errors.js';

export interface FlagSpec {
  /** Takes a value (`--out PATH`); otherwise a boolean switch. */
  value?: boolean;
  /** Allowed values. */
  choices?: readonly string[];
  /** May be given more than once; the values are collected in order. */
  repeat?: boolean;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | true | string[]>;
}

/**
 * `--name value`, `--name=value` and boolean `--name`; `-h` is `--help`; `-` alone is a positional (stdin); `--` ends
 * the flags. A value may start with '-' (`--rate -0.1`). An unknown flag or a missing value is a usage error.
 */
export function parseArgs(
  argv: readonly string[],
  spec: Record<string, FlagSpec>,
  command: string,
  program = 'anomalog',
): ParsedArgs {
  const positionals: string[] = [];
  const flags: ParsedArgs['flags'] = {};
  const fail = (message: string) => usage(message, command, program);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] === '-h' && spec.help ? '--help' : argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-') throw fail(`unknown option ${arg}`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) throw fail(`unknown option --${name}`);
    if (!s.value) {
      if (eq >= 0) throw fail(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw fail(`--${name} needs a value`);
    if (s.choices && !s.choices.includes(value))
      throw fail(`--${name} must be one of ${s.choices.join('|')}, got "${value}"`);
    if (s.repeat) flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    else flags[name] = value;
  }
  return { positionals, flags };
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function intFlag(args: ParsedArgs, name: string, command: string, program = 'anomalog'): number | undefined {
  const v = stringFlag(args, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw usage(`--${name} must be an integer, got "${v}"`, command, program);
  return Number(v);
}

/** Validates flag values with zod; the first problem is a usage error `--flag: message`. */
export function validateFlags<T extends z.ZodType>(schema: T, values: unknown): z.infer<T> {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const flag = issue.path.length ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}: ` : '';
  throw new CliError(`${flag}${issue.message}`, 2);
}
