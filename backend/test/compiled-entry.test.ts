import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript next to the bin entry, without types
import { compiledEntry } from '../bin/compiled.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A tiny source tree: cli/main.ts imports a sibling module and reads an asset next to itself. */
function sources(greeting: string): { src: string; out: string } {
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
  return { src, out: join(root, '.compiled') };
}

describe('the compiled CLI entry', () => {
  it('compiles the sources and their assets, and rebuilds when a source changes', async () => {
    const dirs = sources('hello');
    const entry: string = await compiledEntry(dirs);
    expect((await import(entry)).text).toBe('hello asset');
    expect(() => readFileSync(join(dirs.out, 'cli', 'main.test.js'))).toThrow();

    expect(await compiledEntry(dirs)).toBe(entry);
    const built = readFileSync(fileURLToPath(entry), 'utf8');

    const greeting = join(dirs.src, 'cli', 'greeting.ts');
    writeFileSync(greeting, `export const greeting: string = 'bye';\n`);
    utimesSync(greeting, new Date(), new Date(Date.now() + 5000));
    await compiledEntry(dirs);
    expect(readFileSync(join(dirs.out, 'cli', 'greeting.js'), 'utf8')).toContain('"bye"');
    expect(readFileSync(fileURLToPath(entry), 'utf8')).toBe(built);
  });

  it('gives no entry where it cannot build (the bin then runs the sources with tsx)', async () => {
    const { src } = sources('hello');
    expect(await compiledEntry({ src, out: '/dev/null/compiled' })).toBeUndefined();
  });
});
