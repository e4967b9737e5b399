import { IsolationForest } from '../backend/src/detectors/isolation-forest.js';
import { gaussianMatrix } from '../backend/src/detectors/testing.js';
const X = gaussianMatrix(100000, 20, 1);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
let t = performance.now(), c = cpu(); const f = IsolationForest.fit(X, { seed: 1 }); console.log('fit wall', performance.now() - t, 'cpu', cpu() - c);
t = performance.now(); c = cpu(); f.scoreMatrix(X); console.log('score wall', performance.now() - t, 'cpu', cpu() - c);
console.log((f.toJSON().feature.length));
