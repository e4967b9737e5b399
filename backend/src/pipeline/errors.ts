/** A mistake in what the user asked for (bad option, unusable input): its message is one line for a person. */
export class PipelineInputError extends Error {
  override readonly name = 'PipelineInputError';
}
