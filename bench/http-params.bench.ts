/**
 * Attack payloads through their encodings: access logs built from ../shared/datasets/http_params (see
 * http-params-data.ts), 20,000 lines each, attacks at 3%. Train on the file built from the train split (attacks
 * included, as a self-trained scan would see them), score the file built from the test split; also the test file
 * scanned self-trained (`anomalog scan FILE --json`), and the peer self-trained on it. Reports F1 overall, recall
 * per attack class and the false-positive rate on benign lines. Targets: F1 >= 0.95, recall >= 0.9 per class,
 * FPR < 0.5%. The same requests are then written in the other access-log layouts (LAYOUTS: vhost_combined, IIS's W3C,
 * nginx JSON, a Go service's logfmt, an AWS load balancer's, Heroku's router, Envoy's, Squid's, Zeek's http.log, Google Cloud's load balancer's LogEntry, AWS CloudFront's, Cloudflare's): detection should not depend on how a
 * server writes its log (Heroku's router writes no user agent, so scanners' agents are no evidence there).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildLog, LAYOUTS, quality } from './http-params-data.js';
import { BIN, CACHE, output, peerRow } from './cli-run.js';

const LINES = Number(process.env.LINES ?? 20_000);
mkdirSync(CACHE, { recursive: true });
const train = buildLog(join(CACHE, `http-params-train-${LINES}.log`), 'train', LINES, 11);
const test = buildLog(join(CACHE, `http-params-test-${LINES}.log`), 'test', LINES, 12);
const model = join(CACHE, `http-params-model-${LINES}.json`);

function flags(stdout: string): boolean[] {
  const out: boolean[] = [];
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const o = JSON.parse(line) as { line: number; anomaly: boolean };
    out[o.line - 1] = o.anomaly;
  }
  return out;
}

const rows: Record<string, string | number>[] = [];
process.stderr.write('train on the train split\n');
output(process.execPath, [BIN, 'train', train.path, '--out', model]);
process.stderr.write('scan the test split with it\n');
rows.push({
  name: 'anomalog: trained on train split, scans test split',
  lines: LINES,
  ...quality(test.labels, flags(output(process.execPath, [BIN, 'scan', test.path, '--model', model, '--json']))),
});
process.stderr.write('scan the test split self-trained\n');
rows.push({
  name: 'anomalog: self-trained scan of the test split',
  lines: LINES,
  ...quality(test.labels, flags(output(process.execPath, [BIN, 'scan', test.path, '--json']))),
});
rows.push(
  peerRow('peer: tfidf_iforest_peer.py (self-trained on the test split)', test.path, (out) => ({
    lines: LINES,
    ...quality(test.labels, flags(out)),
  })),
);

for (const layout of LAYOUTS.filter((l) => l !== 'combined')) {
  const trainAs = buildLog(join(CACHE, `http-params-train-${LINES}-${layout}.log`), 'train', LINES, 11, layout);
  const testAs = buildLog(join(CACHE, `http-params-test-${LINES}-${layout}.log`), 'test', LINES, 12, layout);
  const modelAs = join(CACHE, `http-params-model-${LINES}-${layout}.json`);
  process.stderr.write(`layout ${layout}\n`);
  output(process.execPath, [BIN, 'train', trainAs.path, '--out', modelAs]);
  rows.push({
    name: `anomalog, ${layout} layout: trained on train split, scans test split`,
    lines: LINES,
    ...quality(
      testAs.labels,
      flags(output(process.execPath, [BIN, 'scan', testAs.path, '--model', modelAs, '--json'])),
    ),
  });
  rows.push({
    name: `anomalog, ${layout} layout: self-trained scan of the test split`,
    lines: LINES,
    ...quality(testAs.labels, flags(output(process.execPath, [BIN, 'scan', testAs.path, '--json']))),
  });
}

console.log(
  JSON.stringify({
    section:
      'http_params payloads in access logs, 3% attacks (targets: F1 >= 0.95, recall >= 0.9 per class, benign FPR < 0.5%)',
    rows,
  }),
);
