// The browser and compose tests use the built plugin (Grafana's dist/ and the standalone page). A fresh clone has
// neither, and a source change makes them stale: build once here when either is missing or older than src/.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { PLUGIN } from './paths';

const OUTPUTS = ['dist/module.js', 'dist-standalone/index.html'];

/** The newest change to the sources a build reads (unit tests beside them do not count). */
function newestMtime(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true })
      .filter((entry) => !/\.test\.tsx?$/.test(entry.name))
      .map((entry) => {
        const path = join(dir, entry.name);
        return entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
      }),
  );
}

function builtAt(path: string): number {
  try {
    return statSync(join(PLUGIN, path)).mtimeMs;
  } catch {
    return 0;
  }
}

export default function setup() {
  const sources = newestMtime(join(PLUGIN, 'src'));
  if (OUTPUTS.some((output) => builtAt(output) < sources)) {
    console.log('building the plugin (npm run build -w plugin): dist is missing or older than src/');
    execFileSync('npm', ['run', 'build'], { cwd: PLUGIN, stdio: 'inherit' });
  }
}
