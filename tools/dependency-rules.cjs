/**
 * The backend's layer rules of docs/ARCHITECTURE.md ("Layout and the rules that keep it"), checked by `npm test`
 * (tools/architecture.test.ts) and by `npx depcruise backend/src contract generator/src plugin/src`.
 *
 * Inside backend/src, each folder has a rank and imports only folders of a lower rank (or itself):
 *   ground (types, stream, metrics) <- parsing <- templates <- features <- detectors <- explain <- models <- pipeline
 *   ground <- logql <- config <- sources   (these may also read the engine's parsing)
 *   both <- service <- {api, watch} <- cli
 * The engine (parsing ... pipeline) never imports the service side (logql, config, sources, service, api, watch, cli).
 */
const ENGINE = ['parsing', 'templates', 'features', 'detectors', 'explain', 'models', 'pipeline'];
const RANKS = {
  parsing: 1,
  templates: 2,
  features: 3,
  detectors: 4,
  explain: 5,
  models: 6,
  pipeline: 7,
  logql: 1,
  config: 2,
  sources: 3,
  service: 8,
  api: 9,
  watch: 9,
  cli: 10,
};
const FOLDERS = Object.keys(RANKS);
const TEST = '\\.test\\.tsx?$';

/** The rules for a backend source tree at `src` (a path pattern relative to the cruise's base directory). */
function backendRules(src) {
  const folder = (names) => `^${src}/(${names.join('|')})/`;
  const rules = [];
  for (const from of FOLDERS) {
    const above = FOLDERS.filter((to) => to !== from && RANKS[to] >= RANKS[from]);
    if (ENGINE.includes(from)) above.push(...FOLDERS.filter((to) => !ENGINE.includes(to) && !above.includes(to)));
    if (above.length === 0) continue;
    rules.push({
      name: `${from}-imports-downward`,
      comment: `${from}/ imports only folders below it in the pipeline (docs/ARCHITECTURE.md)`,
      severity: 'error',
      from: { path: `^${src}/${from}/`, pathNot: TEST },
      to: { path: folder(above) },
    });
  }
  rules.push({
    name: 'ground-imports-nothing-above',
    comment: 'types.ts, stream.ts, metrics.ts, durable.ts and workers.ts are the ground every stage stands on',
    severity: 'error',
    from: { path: `^${src}/(types|stream|metrics|durable|workers)\\.ts$` },
    to: { path: folder(FOLDERS) },
  });
  rules.push({
    name: 'production-code-apart-from-test-kits',
    comment: 'src/ holds production code: it never imports test kits, tools, benchmarks or a test runner',
    severity: 'error',
    from: { path: `^${src}/`, pathNot: TEST },
    to: { path: '(^|/)(testkit|tools|bench|test)/|(^|/)node_modules/(vitest|@vitest)/' },
  });
  return rules;
}

module.exports = { backendRules, TEST };
