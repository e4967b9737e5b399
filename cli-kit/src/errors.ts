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

/**
 * Awaits a server's start; a port it could not take is a one-line error naming the port, what wanted it and the
 * option that changes it (exit 2).
 */
export async function listening<T>(starting: Promise<T>, port: number, what: string, option: string): Promise<T> {
  try {
    return await starting;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new CliError(
        `port ${port} (${what}) is already in use: stop what holds it, or choose another with ${option}`,
        2,
      );
    if (code === 'EACCES')
      throw new CliError(`port ${port} (${what}) needs privileges this user lacks: choose another with ${option}`, 2);
    throw err;
  }
}
