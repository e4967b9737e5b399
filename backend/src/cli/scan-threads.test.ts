import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { normalAccessLog, plantedAccessLine } from '../../test/fixtures/logs.js';
import type { LateMember, Model } from '../models/index.js';
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

  it('scores before the autoencoder has come, and gives what it gives with the whole model', async () => {
    const lines = normalAccessLog(12_000, 4);
    lines[7000] = plantedAccessLine(7000, { target: '/api/orders', bytes: 90_000_000 });
    const file = join(await mkdtemp(join(tmpdir(), 'anomalog-threads-')), 'access.log');
    await writeFile(file, `${lines.join('\n')}\n`);
    const model = await train(lines.slice(0, 3000), { seed: 2 });
    /** With `late`, the model lacks its autoencoder, which comes once `comes(bytes read)` holds. */
    const scan = async (m: Model, late?: { member: LateMember; comes: (bytes: number, size: number) => boolean }) => {
      const input = await openInput(file);
      const pool = new ScanThreads(2);
      const written: Buffer[] = [];
      let come = () => {};
      const member = late && new Promise<LateMember>((resolve) => (come = () => resolve(late.member)));
      try {
        const { summary } = await pool.run(
          input,
          m,
          { by: 'client' },
          { json: true, labels: {} },
          async (bytes) => void written.push(Buffer.from(bytes)),
          (bytes) => late?.comes(bytes, input.bytes) && come(),
          member,
        );
        return { text: Buffer.concat(written).toString(), anomalies: summary.anomalies };
      } finally {
        pool.close();
        await input.close();
      }
    };
    const whole = await scan(model);
    expect(whole.text).toContain('"anomaly":true');
    const { autoencoder: state, ...members } = model.members;
    const { autoencoder: calibration, ...calibrations } = model.calibration;
    const late: LateMember = { member: 'autoencoder', state: state!, calibration: calibration! };
    // After the first chunk of about 1 MB (the lines read so far waited), after the last (every line waited).
    for (const comes of [(bytes: number) => bytes > 0, (bytes: number, size: number) => bytes >= size]) {
      const early: Model = { ...model, members: { ...members }, calibration: { ...calibrations } };
      expect(await scan(early, { member: late, comes })).toEqual(whole);
    }
  });
});
