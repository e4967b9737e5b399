import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript next to the bin entry, without types
import { compiledEntry } from '../bin/compiled.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A tiny source tree: cli/main.ts imports a sibling module and reads an asset next to itself. */
function sources(greeting: string): { src: string; builds: string } {
  const root = mkdtempSync(join(tmpdir(), 'anomalog-compiled-'));
  dirs.push(root);
  const src = join(root, 'src');
  mkdirSync(join(src, 'cli'), { recursive: true });
  writeFileSync(join(src, 'cli', 'greeting.ts'), `export const greeting: string = '${greeting}';\n`);
  writeFileSync(
    join(src, 'cli', 'main.ts'),
    `import { readFileSync } from 'node:fs';\nimport { greeting } from './greeting.js';\nexport const text = \`\${greeting} \${readFileSync(new URL('./asset.txt', import.meta.url), 'utf8')}\`;\n`,
  );
  writeFileSync(join(src, 'cli', 'asset.txt'), 'asset');
  writeFileSync(join(src, 'cli', 'main.test.ts'), 'this is not compiled');
  return { src, builds: root };
}

describe('the compiled CLI entry', () => {
  it('compiles the sources and their assets, and makes a new build when a source changes', async () => {
    const dirs = sources('hello');
    const entry: string = await compiledEntry(dirs);
    expect((await import(entry)).text).toBe('hello asset');
    const build = join(fileURLToPath(entry), '..', '..');
    expect(readdirSync(build).sort()).toEqual(['cli']);
    expect(readdirSync(join(build, 'cli')).sort()).toEqual(['asset.txt', 'greeting.js', 'main.js']);
    expect(await compiledEntry(dirs)).toBe(entry);

    const greeting = join(dirs.src, 'cli', 'greeting.ts');
    writeFileSync(greeting, `export const greeting: string = 'bye';\n`);
    utimesSync(greeting, new Date(), new Date(Date.now() + 5000));
    const next: string = await compiledEntry(dirs);
    expect(next).not.toBe(entry);
    expect((await import(next)).text).toBe('bye asset');
    // The earlier build stays whole for runs still using it.
    expect(readFileSync(join(build, 'cli', 'greeting.js'), 'utf8')).toContain('"hello"');
  });

  it('compiles the workspace packages the sources import, once for all of them, and rebuilds when they change', async () => {
    const dirs = sources('hello');
    // a TypeScript workspace package, as @anomalog/contract is: plain Node cannot load it
    const pkg = join(dirs.builds, 'node_modules', '@anomalog', 'words');
    mkdirSync(join(pkg, 'src'), { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: '@anomalog/words', type: 'module', exports: './src/index.ts' }),
    );
    writeFileSync(join(pkg, 'src', 'index.ts'), `export const word: string = 'one';\nexport class Mark {}\n`);
    writeFileSync(
      join(dirs.src, 'cli', 'made.ts'),
      `import { Mark } from '@anomalog/words';\nexport const made = new Mark();\n`,
    );
    writeFileSync(
      join(dirs.src, 'cli', 'main.ts'),
      `import { Mark, word } from '@anomalog/words';\nimport { made } from './made.js';\nexport const text = word;\nexport const same = made instanceof Mark;\n`,
    );
    const withWords = { ...dirs, workspaces: [join(pkg, 'src')] };
    const entry: string = await compiledEntry(withWords);
    expect((await import(entry)).text).toBe('one');
    // one class for every file that imports it, as the CLI's errors need (instanceof CliError)
    expect((await import(entry)).same).toBe(true);

    const source = join(pkg, 'src', 'index.ts');
    writeFileSync(source, `export const word: string = 'two';\nexport class Mark {}\n`);
    utimesSync(source, new Date(), new Date(Date.now() + 5000));
    const next: string = await compiledEntry(withWords);
    expect(next).not.toBe(entry);
    expect((await import(next)).text).toBe('two');
  });

  it('lets concurrent runs share one build', async () => {
    const dirs = sources('hello');
    const entries = await Promise.all(Array.from({ length: 4 }, () => compiledEntry(dirs)));
    expect(new Set(entries).size).toBe(1);
    expect(readdirSync(dirs.builds).filter((n) => n.startsWith('.compiled-'))).toHaveLength(1);
  });

  it('gives no entry where it cannot build (the bin then runs the sources with tsx)', async () => {
    const { src } = sources('hello');
    expect(await compiledEntry({ src, builds: '/dev/null/builds' })).toBeUndefined();
  });
});
