export { ruleSignals, RULE_STRENGTH } from './evidence.js';
export * from './explain.js';
