// Shared by the browser tests: Debian's Chromium driven by playwright-core, and the real backend (the REST helper's
// test context: a model trained by the real pipeline, file sources in a temp dir) serving a page.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

import { createApp, startServer, type RunningServer } from '@anomalog/backend';
import { testContext, trainWebModel, type TestContext } from '@anomalog/backend/testkit';
import { ARTIFACTS } from './paths';

export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

export interface Backend extends RunningServer {
  /** The backend's temp dir: `logs/access*.log` there is the `{job="web"}` stream. */
  dir: string;
  stop(): Promise<void>;
}

/** The real backend app with a web model, serving `staticDir` at `/`. */
export async function startBackend(staticDir: string): Promise<Backend> {
  const t: TestContext = await testContext({ web: await trainWebModel() });
  const server = await startServer(t.ctx, { port: 0, host: '127.0.0.1', app: createApp(t.ctx, { staticDir }) });
  return {
    ...server,
    dir: t.dir,
    async stop() {
      await server.close();
      await t.cleanup();
    },
  };
}

/**
 * Saves a screenshot under test-artifacts/ (tests never write tracked files; `npm run docs:images` copies these to
 * docs/images/ for the README).
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, name);
  await page.screenshot({ path: file });
  return file;
}

/** Logs the page's errors into the test output, so a blank page says why. */
export function reportPageErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
  page.on('response', (res) => res.status() >= 400 && errors.push(`${res.status()} ${res.url()}`));
}
