/** A mistake in what the user asked for (bad input file, bad option): reported as one line, exit code 2. */
export class InputError extends Error {}
