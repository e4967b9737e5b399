import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Each test file gets a temp directory of its own as TMPDIR, for itself and the processes it starts, removed when the
 * file ends: the suite's temp files (10 MB per run of the CLI's bad-input test alone) no longer pile up in /tmp.
 */
const base = (process.env.ANOMALOG_TEST_TMP_BASE ??= tmpdir());
const dir = mkdtempSync(join(base, 'anomalog-test-'));
process.env.TMPDIR = dir;
// The models scans keep (backend/src/cli/model-cache.ts) go there too, not to the user's ~/.cache.
process.env.ANOMALOG_CACHE_DIR = join(dir, 'models');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
