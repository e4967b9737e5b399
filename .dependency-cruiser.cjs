/**
 * The import rules of docs/ARCHITECTURE.md ("Layout and the rules that keep it"), checked by `npm test`
 * (tools/architecture.test.ts), or by hand: `npx depcruise backend contract generator/src plugin/src plugin/tests tools bench`.
 */
const { backendRules, TEST } = require('./tools/dependency-rules.cjs');

const ENTRIES = '^backend/src/(cli/main|cli/scan-worker|service/train-worker|detectors/autoencoder-worker|index)\\.ts$';

module.exports = {
  forbidden: [
    ...backendRules('backend/src'),
    {
      name: 'src-is-production-code',
      comment:
        'every module in backend/src is used by an entry point (the CLI, its scan workers, the training thread, the autoencoder thread, the package API): test and evaluation code lives in testkit/ and tools/',
      severity: 'error',
      from: { path: ENTRIES },
      to: { path: '^backend/src/', pathNot: `${TEST}|\\.d\\.ts$|${ENTRIES}`, reachable: false },
    },
    {
      name: 'no-circular',
      comment: 'no import circles, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'contract-has-no-dependencies',
      comment: '@anomalog/contract is the zero-dependency vocabulary every workspace imports',
      severity: 'error',
      from: { path: '^contract/src/', pathNot: TEST },
      to: { pathNot: '^contract/' },
    },
    {
      name: 'workspaces-import-each-other-by-package-name',
      comment: 'a workspace reaches another only through its package name and explicit exports, never a relative path',
      severity: 'error',
      from: { path: '^(backend|generator|plugin|contract|cli-kit)/' },
      to: { path: '^(backend|generator|plugin|contract|cli-kit)/', pathNot: '^$1/', dependencyTypes: ['local'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(\\.compiled-[^/]+|dist|dist-standalone|\\.config)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'],
    },
  },
};
