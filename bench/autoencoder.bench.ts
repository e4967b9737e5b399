// Autoencoder speed: train on 200k rows, score 100k rows (20 features with a low-dimensional structure).
// Usage: npx tsx bench/autoencoder.bench.ts [--rows N]
import { Autoencoder, tfBackend } from '../backend/src/detectors/autoencoder.js';
import { gaussianMatrix } from '../backend/src/detectors/testing.js';
import type { Matrix } from '../backend/src/types.js';

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

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const backend = await tfBackend();
const train = structured(TRAIN_ROWS, 1);
let wall = performance.now();
let cpu = cpuSeconds();
let epochs = 0;
const ae = await Autoencoder.fit(train, { seed: 1, onProgress: () => epochs++ });
const trainWall = (performance.now() - wall) / 1000;
const trainCpu = cpuSeconds() - cpu;
const test = structured(SCORE_ROWS, 3);
ae.scoreMatrix(test); // warm-up
wall = performance.now();
cpu = cpuSeconds();
ae.scoreMatrix(test);
const scoreWall = (performance.now() - wall) / 1000;
const scoreCpu = cpuSeconds() - cpu;
const round = (x: number) => Number(x.toFixed(3));
console.log(
  JSON.stringify({
    section: 'Autoencoder speed (tfjs ' + backend + ')',
    rows: [
      { name: `train ${TRAIN_ROWS / 1000}k x ${COLS}`, wall_s: round(trainWall), cpu_s: round(trainCpu), epochs, target: '< 60 s' },
      { name: `score ${SCORE_ROWS / 1000}k x ${COLS}`, wall_s: round(scoreWall), cpu_s: round(scoreCpu), target: '<< 1 s' },
    ],
  }),
);
