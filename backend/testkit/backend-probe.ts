// Run in a child process by autoencoder.test.ts: trains and scores on whatever backend tfBackend() picks.
import { fitAutoencoder, tfBackend } from '../src/detectors/autoencoder-train.js';
import { gaussianMatrix } from './matrices.js';

const X = gaussianMatrix(200, 4, 1);
for (let i = 0; i < X.rows; i++) X.data[i * 4 + 1] = 2 * X.data[i * 4]; // feature 1 follows feature 0
const ae = await fitAutoencoder(X, { seed: 1, epochs: 10 });
await fitAutoencoder(X, { seed: 2, epochs: 1 }); // a second model must not repeat the fallback notice
const [inside, off] = ae.scoreMatrix({ data: Float64Array.from([1, 2, 0, 0, 1, -2, 0, 0]), rows: 2, cols: 4 });
console.log(JSON.stringify({ backend: await tfBackend(), separates: off > inside }));
