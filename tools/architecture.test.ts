import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const CHECKED = ['backend', 'contract', 'cli-kit', 'generator/src', 'plugin/src', 'plugin/tests', 'tools', 'bench'];

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** Runs dependency-cruiser with the project's rules over `paths` under `cwd`; the violations it finds. */
async function violations(cwd: string, paths: string[]): Promise<Violation[]> {
  const run = promisify(execFile)(
    process.execPath,
    [DEPCRUISE, '--config', CONFIG, '--output-type', 'json', ...paths],
    {
      cwd,
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  // depcruise exits non-zero when it finds violations; the JSON report is on stdout either way
  const { stdout } = await run.catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return JSON.parse(stdout).summary.violations;
}

const fixtures: string[] = [];
afterAll(() => fixtures.forEach((d) => rmSync(d, { recursive: true, force: true })));

function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'anomalog-arch-'));
  fixtures.push(dir);
  files['tsconfig.json'] ??= JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('dependency rules (docs/ARCHITECTURE.md)', () => {
  it('hold for the whole tree', async () => {
    const found = await violations(ROOT, CHECKED);
    expect(found.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  }, 120_000);

  it('fail on an upward import, a circle, a test kit in src/ and a relative import across workspaces', async () => {
    const dir = fixture({
      'backend/src/cli/main.ts': "import '../index.js';\nimport '../parsing/a.js';\nimport '../detectors/x.js';\n",
      'backend/src/index.ts': "export { a } from './parsing/a.js';\n",
      'backend/src/parsing/a.ts': "import { run } from '../pipeline/run.js';\nexport const a = run;\n",
      'backend/src/pipeline/run.ts': 'export const run = 1;\n',
      'backend/src/detectors/x.ts':
        "import { y } from './y.js';\nimport { helper } from '../../testkit/helper.js';\nexport const x = y + helper;\n",
      'backend/src/detectors/y.ts': "import { x } from './x.js';\nexport const y = () => x;\n",
      'backend/src/features/only-tests-use-me.ts': 'export const fixture = 1;\n',
      'backend/testkit/helper.ts': 'export const helper = 1;\n',
      'generator/src/g.ts': "import { a } from '../../backend/src/index.js';\nexport const g = a;\n",
    });
    const rules = (await violations(dir, ['backend', 'generator/src'])).map((v) => `${v.rule.name}: ${v.from}`);
    expect(rules).toEqual(
      expect.arrayContaining([
        'parsing-imports-downward: backend/src/parsing/a.ts',
        'no-circular: backend/src/detectors/x.ts',
        'production-code-apart-from-test-kits: backend/src/detectors/x.ts',
        'src-is-production-code: backend/src/features/only-tests-use-me.ts',
        'workspaces-import-each-other-by-package-name: generator/src/g.ts',
      ]),
    );
  }, 120_000);
});

/** The statements of a module that are not re-exports (`export ... from`). */
export function nonReexports(source: string, file = 'index.ts'): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  return sf.statements
    .filter((s) => !(ts.isExportDeclaration(s) && s.moduleSpecifier))
    .map((s) => s.getText(sf).split('\n')[0]);
}

describe('index.ts files', () => {
  it('recognise a re-export and anything else', () => {
    expect(
      nonReexports("export * from './a.js';\nexport { b, type C } from './b.js';\nexport * as e from './e.js';\n"),
    ).toEqual([]);
    expect(nonReexports("import { a } from './a.js';\nexport const b = a;\nexport { a };\n")).toHaveLength(3);
  });

  it('only re-export: a folder is entered through its index, and its code lives in named files', async () => {
    const { stdout } = await promisify(execFile)(
      'git',
      ['ls-files', '--cached', '--others', '--exclude-standard', '*index.ts', '*index.tsx'],
      { cwd: ROOT },
    );
    const indexes = stdout
      .split('\n')
      .filter((f) => /^(backend\/(src|testkit)|contract\/src|cli-kit\/src|generator\/src)\/(.*\/)?index\.ts$/.test(f));
    expect(indexes.length).toBeGreaterThan(10);
    const offending = indexes.flatMap((f) =>
      nonReexports(readFileSync(join(ROOT, f), 'utf8'), f).map((s) => `${f}: ${s}`),
    );
    expect(offending).toEqual([]);
  });
});
