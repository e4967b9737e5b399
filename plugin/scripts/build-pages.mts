// Bundles browser pages built from the panel's components, with React and @grafana/* inside (the Grafana build
// leaves those to Grafana): the standalone page the backend serves, and the browser tests' harness.
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const uiMain = require.resolve('@grafana/ui');
/** @grafana/ui's icons; its <Icon> loads them from `public/build/img/icons/` outside Grafana. */
const ICONS = join(uiMain.slice(0, uiMain.lastIndexOf('/dist/')), 'dist/public/img/icons');
/** The fonts Grafana's GlobalStyles ask for under `public/fonts/` (Grafana's server ships them; npm has them here). */
const fontFile = (pkg: string, file: string) => join(dirname(require.resolve(`${pkg}/package.json`)), 'files', file);
const FONTS: Record<string, string> = {
  'inter/Inter-Regular.woff2': fontFile('@fontsource/inter', 'inter-latin-400-normal.woff2'),
  'inter/Inter-Medium.woff2': fontFile('@fontsource/inter', 'inter-latin-500-normal.woff2'),
  'inter/Inter-Italic.woff2': fontFile('@fontsource/inter', 'inter-latin-400-italic.woff2'),
  'inter/Inter-MediumItalic.woff2': fontFile('@fontsource/inter', 'inter-latin-500-italic.woff2'),
  'roboto/L0xTDF4xlVMF-BfR8bXMIhJHg45mwgGEFl0_3vrtSM1J-gEPT5Ese6hmHSh0mQ.woff2': fontFile(
    '@fontsource/roboto-mono',
    'roboto-mono-latin-400-normal.woff2',
  ),
};

export const PAGES = {
  standalone: { entry: 'src/standalone/main.tsx', html: 'src/standalone/index.html', outdir: 'dist-standalone' },
  harness: { entry: 'tests/harness/main.tsx', html: 'tests/harness/index.html', outdir: 'test-artifacts/harness' },
};
export type PageName = keyof typeof PAGES;

/** Writes `index.html`, `app.js`, `app.css` and the assets of one page into its outdir; returns that dir. */
export async function buildPage(name: PageName): Promise<string> {
  const page = PAGES[name];
  const outdir = join(root, page.outdir);
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: { app: page.entry },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    loader: { '.svg': 'file', '.png': 'file', '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file' },
    assetNames: 'assets/[name]-[hash]',
    legalComments: 'none',
    logLevel: 'error',
  });
  const html = await readFile(join(root, page.html), 'utf8');
  const styled = existsSync(join(outdir, 'app.css')) ? html : html.replace(/^.*href="app\.css".*\n/m, '');
  await writeFile(join(outdir, 'index.html'), styled);
  await copyFile(join(root, 'src/img/logo.svg'), join(outdir, 'logo.svg'));
  await cp(ICONS, join(outdir, 'public/build/img/icons'), { recursive: true });
  for (const [name, source] of Object.entries(FONTS)) {
    await mkdir(dirname(join(outdir, 'public/fonts', name)), { recursive: true });
    await copyFile(source, join(outdir, 'public/fonts', name));
  }
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2) as PageName[];
  for (const name of names.length ? names : (['standalone'] as const)) {
    if (!(name in PAGES)) {
      console.error(`unknown page "${name}": use ${Object.keys(PAGES).join(' or ')}`);
      process.exit(2);
    }
    console.log(`built ${await buildPage(name)}`);
  }
}
