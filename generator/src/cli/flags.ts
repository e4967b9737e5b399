import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { CliError, parseArgs, usage, type FlagSpec, type ParsedArgs } from '@anomalog/cli-kit';

const PROGRAM = 'anomalog-generate';

/** A command's flags (`--help`/`-h` included); positional arguments are a usage error. */
export function readFlags(
  argv: readonly string[],
  spec: Record<string, FlagSpec>,
  command: string,
): ParsedArgs['flags'] {
  const { positionals, flags } = parseArgs(argv, { ...spec, help: {} }, command, PROGRAM);
  if (positionals.length) throw usage(`unexpected argument "${positionals[0]}"`, command, PROGRAM);
  return flags;
}

const numberText = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i, `expected ${what}`)
    .transform(Number);

export const flag = {
  rate: () =>
    numberText('a number between 0 and 1').pipe(z.number().min(0, 'must be between 0 and 1').lt(1, 'must be below 1')),
  positive: () => numberText('a positive number').pipe(z.number().positive('must be positive')),
  count: () => numberText('a whole number').pipe(z.number().int('must be a whole number').min(1, 'must be at least 1')),
  seed: () =>
    numberText('a whole number').pipe(z.number().int('must be a whole number').min(0, 'must not be negative')),
  port: () =>
    numberText('a port number').pipe(z.number().int().min(0, 'must be 0-65535').max(65535, 'must be 0-65535')),
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
    throw new CliError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
}

export function ensureWritableDir(dir: string): void {
  try {
    makeDirs(dir);
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new CliError(`cannot write to ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
}
