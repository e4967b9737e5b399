import { readFile } from 'node:fs/promises';
import { writeDurable } from '../durable.js';
import { userRegExp } from '../parsing/user-regex.js';
import { Autoencoder } from '../detectors/autoencoder.js';
import { ModelError } from './errors.js';
import { MODEL_SCHEMA, type Model } from './model.js';

/** Writes the model as JSON, crash-safely (durable.ts: a temp file, fsync, renamed over the target). */
export async function saveModel(path: string, model: Model): Promise<void> {
  await writeDurable(path, serializeModel(model));
}

export function serializeModel(model: Model): string {
  return `${JSON.stringify(model)}\n`;
}

export async function loadModel(path: string): Promise<Model> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(e));
    throw new ModelError(`cannot read model ${path}: ${why}`);
  }
  const model = parseModel(text, path);
  try {
    return checkParts(model);
  } catch (e) {
    throw new ModelError(`${path} is a corrupt model: ${(e as Error).message}`);
  }
}

export function parseModel(text: string, path = 'model'): Model {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ModelError(`${path} is not a model file: not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelError(`${path} is not a model file: expected a JSON object`);
  }
  const schema = (value as { schema?: unknown }).schema;
  if (schema !== MODEL_SCHEMA) {
    const found = typeof schema === 'string' ? `schema "${schema}"` : 'no schema field';
    throw new ModelError(`${path} is not a usable model: ${found}, expected "${MODEL_SCHEMA}"`);
  }
  const m = value as Partial<Model>;
  const missing = (['name', 'detector', 'format', 'parserState', 'featureSchema', 'baselines', 'calibration', 'thresholds', 'members'] as const).filter(
    (k) => m[k] === undefined || m[k] === null,
  );
  if (missing.length) throw new ModelError(`${path} is a corrupt model: missing ${missing.join(', ')}`);
  const order = m.parserState?.dateOrder;
  const knownOrder = order === undefined || order === 'dmy' || order === 'mdy';
  const envelope = m.parserState?.envelope;
  const knownEnvelope = envelope === undefined || envelope === 'docker' || envelope === 'cri';
  if (!m.parserState?.templates || !knownOrder || !knownEnvelope || !Array.isArray(m.featureSchema?.names)) {
    throw new ModelError(`${path} is a corrupt model: bad parserState or featureSchema`);
  }
  return value as Model;
}

/**
 * A corrupt autoencoder or an unusable regex (a session key, a custom format's pattern) fails when its model is
 * loaded, not at the first line scored (scorers build their own).
 */
function checkParts(model: Model): Model {
  for (const state of [model.members.autoencoder, model.sessions?.members.autoencoder]) {
    if (state) Autoencoder.fromJSON(state);
  }
  if (model.sessions) userRegExp(model.sessions.key);
  if (model.parserState.pattern !== undefined) userRegExp(model.parserState.pattern);
  return model;
}
