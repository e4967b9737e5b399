import type { AppContext } from '../../service/context.js';
import type { Model } from '../../models/index.js';
import type { FormatName } from '../../types.js';

/** How an upload is scored: with a loaded model, or with one learnt from the file itself (as `anomalog scan FILE`). */
export type ModelChoice = { learn: true } | { learn: false; name: string };

/** Access logs in either layout are read by the same parser and features: a model of one fits the other. */
const family = (format: FormatName) => (format === 'apache' || format === 'nginx' ? 'access' : format);

/** Whether a model reads lines of this format (`generic` fits nothing: any two unknown formats would "match"). */
export function fits(model: Model, format: FormatName): boolean {
  return format !== 'generic' && family(model.format) === family(format);
}

/** The loaded models that read this format, by name. */
export function fittingModels(ctx: AppContext, format: FormatName): string[] {
  return ctx.models.names().filter((name) => fits(ctx.models.get(name)!, format));
}

/**
 * The choice when the client made none: the model the stream's labels route to when it fits the file, else the first
 * loaded model that fits, else learn from the file. Scoring an error log with the web model flagged 2,000 of
 * Apache_2k.log's 2,000 lines critical; learning from the file flags none of them.
 */
export function defaultChoice(ctx: AppContext, labels: Record<string, string>, format: FormatName): ModelChoice {
  const routed = ctx.models.route(labels).model;
  const model = ctx.models.get(routed);
  if (model && fits(model, format)) return { learn: false, name: routed };
  const [first] = fittingModels(ctx, format);
  return first ? { learn: false, name: first } : { learn: true };
}

/** Why the scores of a model may mean little for this file; undefined when the model fits. */
export function formatWarning(name: string, model: Model, format: FormatName): string | undefined {
  if (fits(model, format)) return undefined;
  return (
    `the file looks like ${format} logs but model "${name}" was trained on ${model.format} logs: its scores may mean ` +
    `little here; learn from the file instead (learn=true)`
  );
}
