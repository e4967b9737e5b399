import { describe, expect, it } from 'vitest';
import { normalAccessLog } from '../../test/fixtures/logs.js';
import { createScorer, train } from '../pipeline/index.js';
import { createParser, detectStream } from './detect.js';
import { envelopeOf, unwrap } from './envelope.js';

/** The runtime's time, in nanoseconds as Docker and the CRI write it. */
const time = (i: number) => new Date(Date.UTC(2026, 11, 7, 10) + i * 1000).toISOString().replace('Z', '123456Z');
const docker = (line: string, i = 0) => JSON.stringify({ log: `${line}\n`, stream: 'stdout', time: time(i) });
const cri = (line: string, i = 0) => `${time(i)} stderr F ${line}`;

describe('container envelopes', () => {
  it("unwrap Docker's json-file and the CRI's lines, with the runtime's time and stream", () => {
    const line = '10.0.0.7 - - [07/Dec/2026:10:00:01 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8.0"';
    expect(unwrap(docker(line), 'docker')).toEqual({ line, ts: Date.UTC(2026, 11, 7, 10), stream: 'stdout' });
    expect(unwrap(cri(line, 1), 'cri')).toEqual({ line, ts: Date.UTC(2026, 11, 7, 10, 0, 1), stream: 'stderr' });
    expect(unwrap(line, 'docker')).toBeUndefined();
    expect(unwrap('{"log":"x"', 'docker')).toBeUndefined();
    expect(unwrap('{"log":"x","stream":"stdout"}', 'docker')).toBeUndefined();
    expect(envelopeOf([docker('a'), docker('b'), 'plain'])).toBeUndefined();
    expect(envelopeOf([cri('a'), cri('b')])).toBe('cri');
  });

  it('read the lines inside in their own format, or leave the stream as it was when they have none', () => {
    const access = normalAccessLog(50);
    expect(detectStream(access.map((l, i) => docker(l, i)))).toEqual({ format: 'apache', envelope: 'docker' });
    expect(detectStream(access.map((l, i) => cri(l, i)))).toEqual({ format: 'apache', envelope: 'cri' });
    const prose = Array.from({ length: 20 }, (_, i) => docker(`worker ${i} done`, i));
    expect(detectStream(prose)).toEqual({ format: 'json' });
    const parser = createParser('auto', { sample: access.map((l, i) => docker(l, i)) });
    expect(parser.parse(docker(access[3], 3))).toMatchObject({
      format: 'apache',
      raw: access[3],
      fields: { stream: 'stdout' },
    });
    // A line that is no envelope is read as it stands.
    expect(parser.parse(access[4]).format).toBe('apache');
  });

  it('keep the envelope in the model, which then scores the wrapped lines as the plain ones', async () => {
    const plain = normalAccessLog(3000, 5);
    const wrapped = plain.map((l, i) => docker(l, i));
    const model = await train(wrapped, { detector: 'iforest', seed: 1 });
    expect([model.format, model.parserState.envelope]).toEqual(['apache', 'docker']);
    const restored = JSON.parse(JSON.stringify(model)) as typeof model;
    const plainModel = await train(plain, { detector: 'iforest', seed: 1 });
    expect(plainModel.parserState.envelope).toBeUndefined();
    const scores = (m: typeof model, lines: string[]) =>
      createScorer(m)
        .pushBatch(lines)
        .map((s) => s.score);
    expect(scores(restored, wrapped)).toEqual(scores(plainModel, plain));
    // A model of plain lines (a shipped one) reads them inside their envelopes too.
    expect(
      scores(
        plainModel,
        wrapped.map((l, i) => (i % 2 ? l : cri(plain[i], i))),
      ),
    ).toEqual(scores(plainModel, plain));
  });
});
