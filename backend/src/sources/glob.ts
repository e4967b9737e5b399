import { readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

const WILDCARD = /[*?[]/;

/** `*` and `?` within one path segment, `[abc]` classes, and `**` for any depth of directories (as promtail). */
export async function expandGlob(pattern: string): Promise<string[]> {
  const [root, ...segments] = resolve(pattern).split(sep);
  let paths = [root === '' ? sep : root];
  for (const segment of segments) {
    if (segment === '**') {
      paths = (await Promise.all(paths.map(subdirectories))).flat();
    } else if (WILDCARD.test(segment)) {
      const re = segmentRegex(segment);
      const listed = await Promise.all(
        paths.map(async (dir) => (await list(dir)).filter((n) => re.test(n)).map((n) => join(dir, n))),
      );
      paths = listed.flat();
    } else {
      paths = paths.map((dir) => join(dir, segment));
    }
  }
  const files = await Promise.all(
    paths.map(async (p) => ((await stat(p).catch(() => undefined))?.isFile() ? p : undefined)),
  );
  return [...new Set(files.filter((p): p is string => p !== undefined))].sort();
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

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/** The directory itself and every directory below it. */
async function subdirectories(dir: string): Promise<string[]> {
  const out = [dir];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) out.push(...(await subdirectories(join(dir, e.name))));
  return out;
}
