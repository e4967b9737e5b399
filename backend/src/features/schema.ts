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
