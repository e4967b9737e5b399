import pc from 'picocolors';

const WIDTH = 30;

/** A progress bar on stderr when it is a terminal; silent otherwise (pipes, CI, tests). */
export function progressBar(label: string, unit: string, stream: NodeJS.WriteStream = process.stderr) {
  const started = performance.now();
  let last = 0;
  return {
    update(done: number, total: number): void {
      if (!stream.isTTY) return;
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const filled = Math.round((done / total) * WIDTH);
      const rate = done / Math.max(1e-3, (now - started) / 1000);
      stream.write(
        `\r${label} ${pc.cyan('█'.repeat(filled))}${pc.dim('░'.repeat(WIDTH - filled))} ${String(Math.floor((done / total) * 100)).padStart(3)}% ` +
          `${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${unit} ${pc.dim(`${Math.round(rate).toLocaleString('en-US')} ${unit}/s`)}\x1b[K`,
      );
    },
    done(): void {
      if (stream.isTTY) stream.write('\r\x1b[K');
    },
  };
}

/** The final summary: what was written, counts per label, output paths. */
export function printSummary(title: string, rows: [string, string | number][], counts: Record<string, number>, files: string[], countsTitle = 'by label'): void {
  const out: string[] = [pc.bold(title)];
  for (const [k, v] of rows) out.push(`  ${k.padEnd(18)} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`);
  const labels = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (labels.length) {
    out.push(`  ${countsTitle}:`);
    for (const [k, v] of labels) out.push(`    ${k.padEnd(22)} ${v.toLocaleString('en-US').padStart(10)}`);
  }
  if (files.length) out.push('  files:', ...files.map((f) => `    ${f}`));
  process.stdout.write(out.join('\n') + '\n');
}
