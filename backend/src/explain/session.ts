/** What is wrong with a session, in words, from its template sequence and the lifecycle learnt in training. */
export interface SessionShape {
  /** Templates present in (nearly) every training session. */
  lifecycle: readonly number[];
  /** Pairs (a, b): a always came before b in training. */
  orderRules: readonly (readonly [number, number])[];
  text(id: number): string;
}

const MAX_NAMED = 3;

export function sessionFindings(seq: readonly number[], shape: SessionShape): string[] {
  const present = new Map<number, number>();
  seq.forEach((t, i) => {
    if (!present.has(t)) present.set(t, i);
  });
  const out: string[] = [];
  const missing = shape.lifecycle.filter((t) => !present.has(t));
  for (const t of missing.slice(0, MAX_NAMED))
    out.push(`step '${stepName(shape.text(t))}' missing from the usual lifecycle`);
  if (missing.length > MAX_NAMED) out.push(`${missing.length - MAX_NAMED} more lifecycle steps missing`);
  const swapped = shape.orderRules.filter(
    ([a, b]) => present.has(a) && present.has(b) && present.get(b)! < present.get(a)!,
  );
  for (const [a, b] of swapped.slice(0, MAX_NAMED)) {
    out.push(`step '${stepName(shape.text(b))}' came before '${stepName(shape.text(a))}'`);
  }
  return out;
}

/** A short name for a template: the method of a `Class.method` token, else its first words. */
export function stepName(template: string): string {
  const words = template.split(/\s+/).filter((t) => !t.includes('<*>') && /[a-z]/i.test(t));
  const dotted = words.find((t) => /[a-z]\.[a-z]/i.test(t));
  if (dotted)
    return dotted
      .replace(/[^\w.]+$/, '')
      .split('.')
      .pop()!;
  return (
    words
      .slice(0, 3)
      .join(' ')
      .replace(/[^\w]+$/, '') || template.slice(0, 40)
  );
}
