import { readFileSync, existsSync } from 'node:fs';
import { createScorer, train } from './backend/src/pipeline/index.ts';
const sys = ['Apache','Hadoop','HealthApp','Linux','Mac','OpenStack','Proxifier','Spark','Windows','Zookeeper'];
const files = [...sys.map((s) => `../shared/datasets/loghub_2k/${s}/${s}_2k.log`), ...['Android','BGL','HDFS','HPC','OpenSSH','Thunderbird'].map((s) => `/tmp/heldout/${s}_2k.log`)];
for (const f of files) {
  const lines = readFileSync(f, 'utf8').split(/\r?\n/).filter(Boolean);
  const model = await train(lines, { seed: 1 });
  const out = [...createScorer(model).pushBatch(lines)];
  const by = new Map<string, number[]>();
  let lo = Infinity, hi = -Infinity;
  for (const o of out) { if (!o.ts) continue; lo = Math.min(lo, o.ts); hi = Math.max(hi, o.ts); const a = by.get(o.template) ?? []; a.push(o.ts); by.set(o.template, a); }
  const span = hi - lo;
  const eps = [...by].filter(([, ts]) => ts.length >= 10).map(([t, ts]) => ({ t, n: ts.length, s: (Math.max(...ts) - Math.min(...ts)) / span, flagged: 0 }))
    .filter((e) => e.s <= 0.01);
  console.log(f.split('/').pop(), 'span h', (span / 3.6e6).toFixed(1), 'episodes', eps.map((e) => `${e.n}@${(e.s * 100).toFixed(2)}% ${e.t.slice(0, 40)}`).join(' | '));
}
