/** A model file that cannot be used; the message is one line meant for a person. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
}
