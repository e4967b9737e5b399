import { describe, expect, it } from 'vitest';
import { parseArgs, validateFlags } from './args.js';
import { CliError } from './errors.js';
import { z } from 'zod';

const spec = {
  out: { value: true },
  sink: { value: true, repeat: true },
  detector: { value: true, choices: ['a', 'b'] },
  json: {},
  help: {},
};

describe('parseArgs', () => {
  it('reads values, switches, repeats, negative numbers, -h, - and --', () => {
    const { positionals, flags } = parseArgs(
      ['f.log', '--out=x', '--sink', 'a', '--sink', 'b', '--json', '-h', '-', '--', '--out'],
      spec,
      'scan',
    );
    expect(positionals).toEqual(['f.log', '-', '--out']);
    expect(flags).toEqual({ out: 'x', sink: ['a', 'b'], json: true, help: true });
    expect(parseArgs(['--out', '-0.1'], spec, 'scan').flags.out).toBe('-0.1');
  });

  it('refuses an unknown flag, a missing value and a bad choice as usage errors naming the program', () => {
    const usage = (argv: string[]) => {
      try {
        parseArgs(argv, spec, 'web', 'anomalog-generate');
      } catch (e) {
        return [(e as CliError).exitCode, (e as CliError).message];
      }
      return undefined;
    };
    expect(usage(['--frob'])).toEqual([2, 'unknown option --frob (see: anomalog-generate web --help)']);
    expect(usage(['--out'])).toEqual([2, '--out needs a value (see: anomalog-generate web --help)']);
    expect(usage(['--detector', 'c'])).toEqual([
      2,
      '--detector must be one of a|b, got "c" (see: anomalog-generate web --help)',
    ]);
    expect(usage(['--json=1'])).toEqual([2, '--json takes no value (see: anomalog-generate web --help)']);
  });

  it('validates flag values with zod and names the flag', () => {
    expect(() =>
      validateFlags(z.object({ anomalyRate: z.number().max(1, 'must be at most 1') }), { anomalyRate: 2 }),
    ).toThrow(new CliError('--anomaly-rate: must be at most 1', 2));
  });
});
