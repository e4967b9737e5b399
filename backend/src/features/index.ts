export { type FeatureKind, type FeatureSchema, type FeatureSpec, type FeatureStats } from './schema.js';
export { WEB, WEB_FEATURES, WebBaselineBuilder, WebFeatures, WebSample, type WebBaselineState } from './web.js';
export { SYS, SYSTEM_FEATURES, SystemFeatures } from './system.js';
export * from './featurizer.js';
export { keywordMask } from './keywords.js';
