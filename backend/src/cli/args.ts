/** A user mistake on the command line or in its inputs: printed as one line, no stack. `exitCode` 2 is usage. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface FlagSpec {
  /** Takes a value (`--out PATH`); otherwise a boolean switch. */
  value?: boolean;
  /** Allowed values. */
  choices?: readonly string[];
}

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | true>;
}

/** `--name value`, `--name=value` and boolean `--name`; `-` alone is a positional (stdin); `--` ends the flags. */
export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>, command: string): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-') throw usage(`unknown option ${arg}`, command);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) throw usage(`unknown option --${name}`, command);
    if (!s.value) {
      if (eq >= 0) throw usage(`--${name} takes no value`, command);
      flags[name] = true;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw usage(`--${name} needs a value`, command);
    if (s.choices && !s.choices.includes(value)) {
      throw usage(`--${name} must be one of ${s.choices.join('|')}, got "${value}"`, command);
    }
    flags[name] = value;
  }
  return { positionals, flags };
}

export function usage(message: string, command: string): CliError {
  return new CliError(`${message} (see: anomalog ${command} --help)`, 2);
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function intFlag(args: ParsedArgs, name: string, command: string): number | undefined {
  const v = stringFlag(args, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw usage(`--${name} must be an integer, got "${v}"`, command);
  return Number(v);
}
