import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Section {
  section: string;
  rows: Record<string, unknown>[];
}

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);
const only = process.argv.slice(2);
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

function runOne(file: string): Promise<Section> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(benchDir, file)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      // The models scans keep (cli/model-cache.ts) stay with the bench's other files, out of the user's cache.
      env: { ...process.env, ANOMALOG_CACHE_DIR: process.env.ANOMALOG_CACHE_DIR ?? join(benchDir, '.cache', 'models') },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as Section);
      } catch {
        resolve({ section: file, rows: [{ name: 'failed', exitCode: code ?? -1, output: last.slice(0, 200) }] });
      }
    });
  });
}

function format(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return value.toLocaleString('en-US');
    return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(4);
  }
  return String(value ?? '');
}

function table(section: Section): string {
  const columns = [...new Set(section.rows.flatMap((r) => Object.keys(r)))];
  const cells = section.rows.map((r) => columns.map((c) => format(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ');
  return [`## ${section.section}`, line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join(
    '\n',
  );
}

const results: Section[] = [];
for (const file of files) {
  process.stderr.write(`running ${file}\n`);
  const section = await runOne(file);
  results.push(section);
  console.log(`${table(section)}\n`);
}
writeFileSync(
  join(benchDir, 'results.json'),
  `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`,
);
console.log(`wrote bench/results.json (${results.length} sections)`);
