import { readFileSync } from 'node:fs';
import { createParser } from '../backend/src/parsing/index.js';
const lines = readFileSync(process.argv[2], 'utf8').split('\n').slice(0, 200);
const p = createParser('auto', { sample: lines });
console.log(p.format, JSON.stringify(p.parse(lines[Number(process.argv[3] ?? 0)])));
