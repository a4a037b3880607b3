// `npm run bench`'s command line: defaults, lists and suffixes, and a clear error for each bad
// value, naming the flag.

import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from './bench-args.ts';

describe('bench args', () => {
  it('bench/args-defaults', () => {
    expect(parseArgs([])).toEqual({
      scenarios: ['block'],
      params: {},
      json: undefined,
      build: true,
      help: false,
    });
  });

  it('bench/args-values', () => {
    const a = parseArgs([
      '--scenario=block',
      '--runtime',
      '500',
      '--bs',
      '4k,32768,1m',
      '--iodepth=1,8',
      '--op',
      'write',
      '--warmup',
      '0',
      '--json',
      'out/b.json',
      '--no-build',
    ]);
    expect(a).toEqual({
      scenarios: ['block'],
      params: {
        runtimeMs: 500,
        bs: [4096, 32768, 1 << 20],
        iodepth: [1, 8],
        ops: ['write'],
        warmupMs: 0,
      },
      json: 'out/b.json',
      build: false,
      help: false,
    });
  });

  it.each([
    [['--runtime', 'abc'], '--runtime: "abc" is not a whole number'],
    [['--runtime', '5'], '--runtime 5: runtimeMs 5 is not an integer from 10 to 600000'],
    [['--bs', '1000'], '--bs 1000: bs 1000 is not a power of two'],
    [['--bs', '4k,'], '--bs: "4k," has an empty item'],
    [['--bs', '2m'], '--bs 2m: bs 2097152 is not an integer from 512 to 1048576'],
    [['--iodepth', '0'], '--iodepth 0: iodepth 0 is not an integer from 1 to 256'],
    [['--iodepth', '-1'], '--iodepth: "-1" is not a whole number'],
    [['--iodepth', '--op'], '--iodepth needs a value'],
    [['--op', 'trim'], '--op trim: op "trim" is not one of read, write'],
    [['--scenario', 'net'], '--scenario: "net" is not one of block'],
    [['--json'], '--json needs a value'],
    [['--no-build=yes'], '--no-build takes no value (got "yes")'],
    [['--runtime', '100', '--runtime', '200'], '--runtime is given twice'],
    [['--fast'], 'unknown argument "--fast" (see --help)'],
  ])('bench/args-refuses %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});
