export * from './ast.js';
export { parseQuery, parseLogQuery } from './parse.js';
export { applyStages, labelOf, parseJson, parseLogfmt, type Row } from './stages.js';
export { evaluateAt, evaluateRange, formatValue, type Instant, type Sample, type Series } from './metric.js';
