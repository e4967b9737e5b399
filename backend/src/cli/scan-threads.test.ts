import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { normalAccessLog } from '../../test/fixtures/logs.js';
import { train } from '../pipeline/index.js';
import { openInput } from './input.js';
import { ScanThreads } from './scan-threads.js';

describe('ScanThreads', { timeout: 120_000 }, () => {
  it('writes every line when the output is slow to drain (worker messages arrive during a write)', async () => {
    const lines = normalAccessLog(20_000, 3);
    const file = join(await mkdtemp(join(tmpdir(), 'anomalog-threads-')), 'access.log');
    await writeFile(file, `${lines.join('\n')}\n`);
    const model = await train(lines.slice(0, 5000), { detector: 'iforest', seed: 1 });
    const input = await openInput(file);
    const pool = new ScanThreads(2);
    const written: Buffer[] = [];
    try {
      await pool.run(
        input,
        model,
        { by: 'client' },
        { json: true, labels: {} },
        async (bytes) => {
          written.push(Buffer.from(bytes));
          await sleep(20);
        },
        () => {},
      );
    } finally {
      pool.close();
      await input.close();
    }
    const numbers = Buffer.concat(written)
      .toString()
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { line: number }).line);
    expect(numbers).toEqual(Array.from({ length: lines.length }, (_, i) => i + 1));
  });
});
