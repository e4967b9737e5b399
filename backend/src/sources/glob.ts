import { statSync, type Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

const WILDCARD = /[*?[]/;

/** `*` and `?` within one path segment, `[abc]` classes, and `**` for any depth of directories (as promtail). */
export async function expandGlob(pattern: string): Promise<string[]> {
  const [root, ...segments] = resolve(pattern).split(sep);
  let paths = [root === '' ? sep : root];
  /**
   * Paths their directory listing says are regular files: not stat'ed again. The watcher expands its globs every
   * cycle, and a stat of each of 1,000 files through the promise API took about 50 ms (see sources/tail.ts).
   */
  let files = new Set<string>();
  for (const segment of segments) {
    files = new Set();
    if (segment === '**') {
      paths = (await Promise.all(paths.map(subdirectories))).flat();
    } else if (WILDCARD.test(segment)) {
      const re = segmentRegex(segment);
      const listed = await Promise.all(
        paths.map(async (dir) =>
          (await list(dir))
            .filter((e) => re.test(e.name))
            .map((e) => {
              const path = join(dir, e.name);
              if (e.isFile()) files.add(path);
              return path;
            }),
        ),
      );
      paths = listed.flat();
    } else {
      paths = paths.map((dir) => join(dir, segment));
    }
  }
  const found = paths.filter((p) => files.has(p) || statSync(p, { throwIfNoEntry: false })?.isFile());
  return [...new Set(found)].sort();
}

function segmentRegex(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[' && segment.indexOf(']', i) > i) {
      const end = segment.indexOf(']', i);
      re += `[${segment
        .slice(i + 1, end)
        .replace(/^!/, '^')
        .replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function list(dir: string): Promise<Dirent[]> {
  return readdir(dir, { withFileTypes: true }).catch(() => []);
}

/** The directory itself and every directory below it. */
async function subdirectories(dir: string): Promise<string[]> {
  const out = [dir];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) out.push(...(await subdirectories(join(dir, e.name))));
  return out;
}
