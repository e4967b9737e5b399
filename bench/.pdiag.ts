import { readFileSync } from 'node:fs';
import { renderSessions } from './hdfs-lines.js';
import { train, createScorer } from '../backend/src/pipeline/index.js';
const DIR = '../shared/datasets/hdfs_logdeep_sequences';
const seqs = (f: string) => readFileSync(`${DIR}/${f}`, 'utf8').split('\n').filter((l) => l.trim()).map((l) => l.trim().split(/\s+/).map(Number));
const norms = (f: string) => readFileSync(`${DIR}/${f}`, 'utf8').split('\n').slice(1).filter((l) => l.trim().endsWith(',0')).map((l) => l.slice(0, l.lastIndexOf(',')).trim().split(/\s+/).map(Number));
const model = await train(renderSessions(seqs('hdfs_train'), 1_000_000, 1).lines, { sessionKey: 'blk_-?\\d+', detector: 'ensemble', seed: 42 });
const nor = renderSessions(norms('robust_log_valid.csv').slice(0, 1500), 10_000_000, 2);
const sc = createScorer(model);
const out = [...sc.pushBatch(nor.lines), ...sc.end()];
const reasons = new Map<string, number>();
for (const l of out) if (l.anomaly) { const k = l.template.slice(0, 60) + ' | ' + l.reasons.map((r) => r.replace(/blk_\d+/, 'blk').replace(/[\d.]+/g, 'N')).join('; ').slice(0, 200); reasons.set(k, (reasons.get(k) ?? 0) + 1); }
for (const [k, c] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(c, k);
