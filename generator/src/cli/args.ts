import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { InputError } from '../errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's flags strictly: an unknown flag or a missing value is a one-line InputError. */
export function parseFlags(argv: string[], options: Options): Record<string, string | boolean | string[] | undefined> {
  // `--rate -0.1` would read as a missing value followed by a flag: glue a negative number to its flag.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [arg, next] = [argv[i], argv[i + 1]];
    const takesValue = arg.startsWith('--') && options[arg.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && /^-[\d.]/.test(next)) args.push(`${arg}=${argv[++i]}`);
    else args.push(arg);
  }
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new InputError((err as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, ''));
  }
}

/** Validates flag values with zod and reports the first problem as `--flag: message`. */
export function validate<T extends z.ZodType>(schema: T, values: unknown): z.infer<T> {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const flag = issue.path.length ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}: ` : '';
  throw new InputError(`${flag}${issue.message}`);
}

const numberText = (what: string) => z.string().trim().regex(/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i, `expected ${what}`).transform(Number);

export const flag = {
  rate: () => numberText('a number between 0 and 1').pipe(z.number().min(0, 'must be between 0 and 1').lt(1, 'must be below 1')),
  positive: () => numberText('a positive number').pipe(z.number().positive('must be positive')),
  count: () => numberText('a whole number').pipe(z.number().int('must be a whole number').min(1, 'must be at least 1')),
  seed: () => numberText('a whole number').pipe(z.number().int('must be a whole number').min(0, 'must not be negative')),
  port: () => numberText('a port number').pipe(z.number().int().min(0, 'must be 0-65535').max(65535, 'must be 0-65535')),
};

/** mkdir -p one level at a time (Node's recursive mkdir can spin forever under /proc). */
function makeDirs(dir: string): void {
  const abs = resolve(dir);
  if (existsSync(abs)) return;
  makeDirs(dirname(abs));
  mkdirSync(abs);
}

/** Fails early, with one line, when `path` cannot be created or overwritten. */
export function ensureWritableFile(path: string): void {
  try {
    makeDirs(dirname(path));
    closeSync(openSync(path, 'a'));
  } catch (err) {
    throw new InputError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function ensureWritableDir(dir: string): void {
  try {
    makeDirs(dir);
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new InputError(`cannot write to ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
