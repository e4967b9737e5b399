import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The entry of a worker thread, as source for `new Worker(code, { eval: true })`: it imports `name` (a module next to
 * `moduleUrl`, with the caller's extension), registering tsx first when the caller runs from TypeScript sources (a
 * loader registered on the main thread does not reach workers on Node 20).
 */
export function workerEntry(moduleUrl: string, name: string): string {
  const entry = JSON.stringify(new URL(`./${name}${extname(fileURLToPath(moduleUrl))}`, moduleUrl).href);
  if (!moduleUrl.endsWith('.ts')) return `import(${entry});`;
  const require = createRequire(moduleUrl);
  const api = (require('tsx/package.json') as { exports: Record<string, { import: { default: string } }> }).exports[
    './esm/api'
  ].import.default;
  const tsx = JSON.stringify(pathToFileURL(join(dirname(require.resolve('tsx/package.json')), api)).href);
  return `import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`;
}
