import { readFileSync } from 'node:fs';
import { fitSessionDetectors } from '../backend/src/detectors/evaluation.js';
const DIR = '../shared/datasets/hdfs_logdeep_sequences';
const seqs = (f: string) => readFileSync(`${DIR}/${f}`, 'utf8').split('\n').filter((l) => l.trim()).map((l) => l.trim().split(/\s+/).map(Number));
const train = seqs('hdfs_train');
const abn = seqs('hdfs_test_abnormal');
const seed = Number(process.argv[2] ?? 7);
const d = await fitSessionDetectors(train, { seed });
const Xt = d.vectorizer.transformAll(train);
const et = d.autoencoder.scoreMatrix(Xt);
const order = Array.from(et.keys()).sort((a, b) => et[b] - et[a]);
console.log('anchors', d.calibration.autoencoder.raw.map((x) => x.toPrecision(3)).join(' '));
for (const i of order.slice(0, 12)) console.log('train', et[i].toFixed(3), train[i].length > 40 ? `len ${train[i].length}` : train[i].join(' '));
const Xa = d.vectorizer.transformAll(abn);
const ea = d.autoencoder.scoreMatrix(Xa);
const med = d.calibration.autoencoder.raw[3];
const missed = Array.from(ea.keys()).filter((i) => ea[i] < med);
console.log('missed', missed.length);
const groups = new Map<string, number>();
for (const i of missed) { const k = abn[i].join(' '); groups.set(k, (groups.get(k) ?? 0) + 1); }
for (const [k, c] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
  const i = missed.find((j) => abn[j].join(' ') === k)!;
  const fe = d.autoencoder.featureErrors(Xa.data.subarray(i * Xa.cols, (i + 1) * Xa.cols));
  const top = Array.from(fe.keys()).sort((a, b) => fe[b] - fe[a]).slice(0, 3).map((f) => `${d.vectorizer.featureNames[f]}:${fe[f].toFixed(1)}`);
  console.log(c, ea[i].toFixed(3), k, top.join(' '));
}
