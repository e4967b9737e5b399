export type FeatureKind = 'category' | 'flag' | 'count' | 'zscore' | 'ratio' | 'rarity' | 'numeric';

export interface FeatureSpec {
  name: string;
  kind: FeatureKind;
}

/** Which line features a model uses: the family's fixed set, then the numeric columns (CSV, JSON) by name. */
export interface FeatureSchema {
  family: 'web' | 'system';
  names: string[];
  kinds: FeatureKind[];
  numericColumns: string[];
}

/** Per feature, over the training rows: used to say how unusual a value is. */
export interface FeatureStats {
  mean: number[];
  std: number[];
  min: number[];
  max: number[];
}

/** Column index of each feature by name, for filling rows. */
export function columnsOf(specs: readonly FeatureSpec[]): Record<string, number> {
  return Object.fromEntries(specs.map((f, i) => [f.name, i]));
}
