import { Autoencoder } from '/work/main/backend/src/detectors/autoencoder.ts';
import { gaussianMatrix } from '/work/main/backend/src/detectors/testing.ts';
const X = gaussianMatrix(Number(process.argv[2]), 32, 1);
let t = performance.now(); let last = t;
const ae = await Autoencoder.fit(X, { seed: 1, epochs: Number(process.argv[3]), onProgress: (p) => { const now = performance.now(); process.stdout.write(`${p.phase}${p.epoch}:${(now - last).toFixed(0)}ms `); last = now; } });
console.log('\nfit', (performance.now() - t).toFixed(0));
t = performance.now(); ae.scoreMatrix(X); console.log('score', (performance.now() - t).toFixed(0));
