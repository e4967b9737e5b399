// Autoencoder speed: train on 200k rows (20 features with a low-dimensional structure); score 100k of them and 100k
// rows of real web features (a model trained on access_200k.log, scoring its other 100k lines), each with the
// scoring kernel and with the TensorFlow.js layers it was fitted with.
// Usage: npx tsx bench/autoencoder.bench.ts [--rows N]
import { readFileSync } from 'node:fs';
import { Autoencoder } from '../backend/src/detectors/autoencoder.js';
import { fitAutoencoder, tfBackend } from '../backend/src/detectors/autoencoder-train.js';
import { tfjsErrors } from '../backend/testkit/autoencoder-reference.js';
import { gaussianMatrix } from '../backend/testkit/matrices.js';
import { LineFeaturizer } from '../backend/src/features/index.js';
import { TemplateIndex } from '../backend/src/templates/index.js';
import { createParser } from '../backend/src/parsing/index.js';
import { train as trainModel } from '../backend/src/pipeline/index.js';
import type { Matrix } from '../backend/src/types.js';
import { accessLog } from './cli-run.js';

const COLS = 20;
const i = process.argv.indexOf('--rows');
const TRAIN_ROWS = i > 0 ? Number(process.argv[i + 1]) : 200_000;
const SCORE_ROWS = Math.min(100_000, TRAIN_ROWS);

/** 4 latent factors mixed into 20 features, plus noise. */
function structured(rows: number, seed: number): Matrix {
  const z = gaussianMatrix(rows, 4, seed);
  const noise = gaussianMatrix(rows, COLS, seed + 1);
  const data = new Float64Array(rows * COLS);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < COLS; f++) {
      const a = z.data[r * 4 + (f % 4)];
      const b = z.data[r * 4 + ((f + 1) % 4)];
      data[r * COLS + f] = a + 0.5 * b * (f / COLS) + 0.05 * noise.data[r * COLS + f];
    }
  }
  return { data, rows, cols: COLS };
}

/** A model trained on the first 100k lines of access_200k.log, and the features of the other 100k. */
async function webFeatures(): Promise<{ ae: Autoencoder; X: Matrix }> {
  const lines = readFileSync(accessLog(200_000), 'utf8').split('\n').filter(Boolean);
  const model = await trainModel(lines.slice(0, 100_000), { detector: 'autoencoder', seed: 1 });
  const templates = TemplateIndex.fromJSON(model.parserState.templates);
  const featurizer = new LineFeaturizer(model.featureSchema, templates, model.baselines.web);
  const parser = createParser(model.format, {});
  const scored = lines.slice(100_000, 100_000 + SCORE_ROWS);
  const cols = model.featureSchema.names.length;
  const data = new Float64Array(scored.length * cols);
  scored.forEach((line, r) => {
    const p = parser.parse(line);
    data.set(featurizer.fill(p, templates.lookup(p)), r * cols);
  });
  return { ae: Autoencoder.fromJSON(model.members.autoencoder!), X: { data, rows: scored.length, cols } };
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const round = (x: number) => Number(x.toFixed(3));

/** CPU microseconds per row of the kernel and of tfjs (best of 3 each), and their largest relative disagreement. */
async function scoring(name: string, ae: Autoencoder, X: Matrix): Promise<Record<string, string | number>> {
  const state = ae.toJSON();
  const best = async (score: () => unknown) => {
    let least = Infinity;
    for (let run = 0; run < 3; run++) {
      const cpu = cpuSeconds();
      await score();
      least = Math.min(least, cpuSeconds() - cpu);
    }
    return (least / X.rows) * 1e6;
  };
  const ours = ae.scoreMatrix(X);
  const reference = await tfjsErrors(state, X);
  const disagreement = Math.max(...ours.map((e, r) => Math.abs(e - reference[r]) / Math.max(reference[r], 1e-3)));
  const started = performance.now();
  Autoencoder.fromJSON(state);
  const loadMs = performance.now() - started;
  return {
    name: `score ${name}`,
    kernel_us_per_row: round(await best(() => ae.scoreMatrix(X))),
    tfjs_us_per_row: round(await best(() => tfjsErrors(state, X))),
    max_rel_diff: Number(disagreement.toExponential(1)),
    load_ms: round(loadMs),
  };
}

const backend = await tfBackend();
const train = structured(TRAIN_ROWS, 1);
const wall = performance.now();
const cpu = cpuSeconds();
let epochs = 0;
const ae = await fitAutoencoder(train, { seed: 1, onProgress: () => epochs++ });
const rows: Record<string, string | number>[] = [
  {
    name: `train ${TRAIN_ROWS / 1000}k x ${COLS}`,
    wall_s: round((performance.now() - wall) / 1000),
    cpu_s: round(cpuSeconds() - cpu),
    epochs,
    target: '< 60 s',
  },
];
process.stderr.write('scoring structured rows\n');
rows.push(await scoring(`${SCORE_ROWS / 1000}k x ${COLS}`, ae, structured(SCORE_ROWS, 3)));
process.stderr.write('training on access_200k.log for real web features\n');
const web = await webFeatures();
rows.push(await scoring(`${web.X.rows / 1000}k web lines x ${web.X.cols}`, web.ae, web.X));
console.log(
  JSON.stringify({ section: `Autoencoder speed (fitting on tfjs ${backend}; scoring kernel vs tfjs)`, rows }),
);
