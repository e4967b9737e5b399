import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSink } from './file.js';

const root = mkdtempSync(join(tmpdir(), 'anomalog-sink-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The lines of `access.log` and its rotations, oldest file first. */
function readRotated(dir: string): string[] {
  const rotated = readdirSync(dir)
    .map((f) => /^access\.log\.(\d+)$/.exec(f))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  return [...rotated.map((n) => `access.log.${n}`), 'access.log'].flatMap((f) =>
    readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean),
  );
}

describe('file sink', () => {
  it('rotates by size and loses no line, keeping their order', async () => {
    const dir = join(root, 'rotate');
    const sink = fileSink({ dir, maxBytes: 16_384, maxFiles: 100 });
    const written = Array.from(
      { length: 5_000 },
      (_, i) => `10.0.0.${i % 250} - - [01/Mar/2024:00:00:00 +0000] "GET /line/${i} HTTP/1.1" 200 ${i} "-" "test"`,
    );
    written.forEach((line, i) => sink.write('access', line, i));
    sink.write('app', '{"msg":"separate file"}', 0);
    await sink.close();
    const files = readdirSync(dir).filter((f) => f.startsWith('access.log'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(16_384);
    expect(readRotated(dir)).toEqual(written);
    expect(readFileSync(join(dir, 'app.log'), 'utf8')).toBe('{"msg":"separate file"}\n');
    expect(sink.stats()).toEqual([{ name: `file:${dir}`, written: 5_001, dropped: 0 }]);
  });

  it('keeps at most maxFiles rotated files, the newest ones', async () => {
    const dir = join(root, 'retention');
    const sink = fileSink({ dir, maxBytes: 1_000, maxFiles: 2 });
    const written = Array.from({ length: 300 }, (_, i) => `line ${String(i).padStart(4, '0')} ${'x'.repeat(40)}`);
    written.forEach((line, i) => sink.write('access', line, i));
    await sink.close();
    expect(existsSync(join(dir, 'access.log.3'))).toBe(false);
    const kept = readRotated(dir);
    expect(kept).toEqual(written.slice(written.length - kept.length));
  });

  it('appends to an existing log instead of truncating it', async () => {
    const dir = join(root, 'append');
    for (const round of [1, 2]) {
      const sink = fileSink({ dir });
      sink.write('access', `round ${round}`, 0);
      await sink.close();
    }
    expect(readFileSync(join(dir, 'access.log'), 'utf8')).toBe('round 1\nround 2\n');
  });
});
