import pc from 'picocolors';

/** The final summary: what was written, counts per label, output paths. */
export function printSummary(
  title: string,
  rows: [string, string | number][],
  counts: Record<string, number>,
  files: string[],
  countsTitle = 'by label',
): void {
  const out: string[] = [pc.bold(title)];
  for (const [k, v] of rows) out.push(`  ${k.padEnd(18)} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`);
  const labels = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (labels.length) {
    out.push(`  ${countsTitle}:`);
    for (const [k, v] of labels) {
      const none = v === 0 ? '  (none this run: more lines or a higher rate draw it)' : '';
      out.push(`    ${k.padEnd(22)} ${v.toLocaleString('en-US').padStart(10)}${none}`);
    }
  }
  if (files.length) out.push('  files:', ...files.map((f) => `    ${f}`));
  process.stdout.write(out.join('\n') + '\n');
}
