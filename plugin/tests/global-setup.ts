// The browser and compose tests need the built plugin (Grafana's dist/ and the standalone page). A fresh clone
// has neither, so build them once here when they are missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { PLUGIN } from './paths';

export default function setup() {
  const built = existsSync(join(PLUGIN, 'dist/module.js')) && existsSync(join(PLUGIN, 'dist-standalone/index.html'));
  if (!built) {
    console.log('building the plugin (npm run build -w plugin)...');
    execFileSync('npm', ['run', 'build'], { cwd: PLUGIN, stdio: 'inherit' });
  }
}
