import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('formatting', () => {
  it('every code file is as Prettier writes it (.prettierrc.json; fix with `npm run format`)', async () => {
    const { stdout } = await promisify(execFile)('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      maxBuffer: 64 << 20,
    });
    const unformatted: string[] = [];
    for (const file of stdout.split('\n').filter(Boolean)) {
      const path = join(ROOT, file);
      const info = await prettier.getFileInfo(path, { ignorePath: join(ROOT, '.prettierignore') });
      if (info.ignored || !info.inferredParser) continue;
      const options = await prettier.resolveConfig(path);
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text !== undefined && !(await prettier.check(text, { ...options, filepath: path }))) unformatted.push(file);
    }
    expect(unformatted).toEqual([]);
  }, 120_000);
});
