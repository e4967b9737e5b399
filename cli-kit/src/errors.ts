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

/** A usage mistake (exit code 2) that points at the command's help. */
export function usage(message: string, command: string, program = 'anomalog'): CliError {
  return new CliError(`${message} (see: ${program} ${command} --help)`, 2);
}
