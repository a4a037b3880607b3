// `npm run bench`'s command line: defaults, lists and suffixes, each flag mapped onto the
// scenarios it applies to, and a clear error for each bad value, naming the flag.

import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from './args.ts';

const none = {
  coldBurst: {},
  ceiling: {},
  ceilingBatched: {},
  steady: {},
  machine: {},
  powerCut: {},
  linux: {},
};

describe('bench args', () => {
  it('bench/args-defaults', () => {
    expect(parseArgs([])).toEqual({
      scenarios: ['cold-burst', 'ceiling', 'ceiling-batched', 'steady', 'machine'],
      params: none,
      json: undefined,
      build: true,
      help: false,
    });
  });

  it('bench/args-values-and-switches', () => {
    const a = parseArgs([
      '--scenario=ceiling',
      '--runtime',
      '500',
      '--bs',
      '4k,32768',
      '--iodepth=1,8',
      '--warmup',
      '0',
      '--json',
      'out/b.json',
      '--no-build',
    ]);
    expect(a.scenarios).toEqual(['ceiling']);
    expect(a.params.ceiling).toEqual({
      runtimeMs: 500,
      randomBs: 4096,
      sequentialBs: 32768,
      iodepth: [1, 8],
      warmupMs: 0,
    });
    expect(a.json).toBe('out/b.json');
    expect(a.build).toBe(false);
  });

  it('bench/args-map-onto-scenarios', () => {
    const a = parseArgs([
      '--policy',
      'bh,inline',
      '--vcpus',
      '2',
      '--runtime',
      '300',
      '--bs',
      '8k,16k',
      '--iodepth',
      '16',
    ]);
    expect(a.scenarios).toEqual(['cold-burst', 'ceiling', 'ceiling-batched', 'steady', 'machine']);
    expect(a.params.coldBurst).toEqual({
      policies: ['bh', 'inline'],
      vcpus: 2,
      runtimeMs: 300,
      bs: 8192,
    });
    const steady = { vcpus: 2, runtimeMs: 300, iodepth: [16], randomBs: 8192, sequentialBs: 16384 };
    expect(a.params.steady).toEqual({ ...steady, policies: ['bh'] });
    expect(a.params.ceiling).toEqual(steady);
    expect(a.params.ceilingBatched).toEqual(steady);
    expect(a.params.machine).toEqual({
      policies: ['bh'],
      verifyPolicy: 'bh',
      vcpus: 2,
      burstVcpus: 2,
      runtimeMs: 300,
      bs: 8192,
    });
  });

  it('bench/args-inline-only-drops-the-warm-scenarios', () => {
    expect(parseArgs(['--policy', 'inline']).scenarios).toEqual([
      'cold-burst',
      'ceiling',
      'ceiling-batched',
    ]);
    expect(() => parseArgs(['--policy', 'inline', '--scenario', 'steady'])).toThrow(
      /--scenario steady needs bh or prealloc in --policy/,
    );
  });

  it('bench/args-linux-is-opt-in-and-takes-boots', () => {
    expect(parseArgs([]).scenarios).not.toContain('linux');
    expect(parseArgs(['--scenario', 'linux', '--boots', '5']).params.linux).toEqual({ boots: 5 });
    expect(() => parseArgs(['--boots', '3'])).toThrow(
      "--boots is linux's: add linux to --scenario",
    );
    expect(() => parseArgs(['--scenario', 'linux', '--boots', '0'])).toThrow(
      'linux: boots 0 is not an integer from 1 to 20',
    );
  });

  it('bench/args-power-cut-is-opt-in-and-takes-its-flags', () => {
    expect(parseArgs([]).scenarios).not.toContain('power-cut');
    const a = parseArgs([
      '--scenario',
      'power-cut',
      '--cuts',
      '4',
      '--pattern',
      'writeback,unsafe',
      '--cut',
      'kill',
    ]);
    expect(a.params.powerCut).toEqual({
      cuts: 4,
      patterns: ['writeback', 'unsafe'],
      cut: 'kill',
    });
  });

  it('bench/args-mix-aio-batch', () => {
    const a = parseArgs([
      '--scenario',
      'steady,ceiling,ceiling-batched',
      '--mix',
      'alone',
      '--aio',
      'batched,cached',
      '--batch',
      '8,32',
    ]);
    expect(a.params.steady).toEqual({ mixes: ['alone'], aio: ['batched', 'cached'] });
    expect(a.params.ceiling).toEqual({ mixes: ['alone'] });
    expect(a.params.ceilingBatched).toEqual({ mixes: ['alone'], batch: [8, 32] });
  });

  it.each([
    [['--runtime', 'abc'], '--runtime: "abc" is not a whole number'],
    [['--runtime', '5'], 'cold-burst: runtimeMs 5 is not an integer from 10 to 600000'],
    [['--bs', '1000'], 'cold-burst: bs 1000 is not a power of two'],
    [['--bs', '4k,'], '--bs: "4k," has an empty item'],
    [['--bs', '2m'], 'cold-burst: bs 2097152 is not an integer from 512 to 65536'],
    [['--bs', '4k,8k,16k'], 'steady and ceiling take one size or two'],
    [['--iodepth', '0'], 'ceiling: iodepth 0 is not an integer from 1 to 128'],
    [['--iodepth', '200'], 'ceiling: iodepth 200 is not an integer from 1 to 128'],
    [['--iodepth=-1'], '--iodepth: "-1" is not a whole number'],
    [['--iodepth', '-1'], '--iodepth needs a value ("-1" looks like a flag; --iodepth=-1 if'],
    [['--iodepth', '--mix'], '--iodepth needs a value'],
    [
      ['--scenario', 'net'],
      '--scenario: "net" is not one of cold-burst, ceiling, ceiling-batched, steady, machine, power-cut, linux',
    ],
    [['--mix', 'some'], '--mix: "some" is not one of all, alone'],
    [['--aio', 'fast'], '--aio: "fast" is not one of batched, faithful, cached'],
    [['--batch', 'x'], '--batch: "x" is not a whole number'],
    [['--batch', '1'], 'ceiling-batched: batch 1 is not an integer from 2 to 64'],
    [['--cuts', '3'], "--cuts is power-cut's: add power-cut to --scenario"],
    [['--scenario', 'cold-burst', '--warmup', '0'], "--warmup is ceiling's, ceiling-batched's"],
    [
      ['--scenario', 'power-cut', '--cuts', '0'],
      'power-cut: cuts 0 is not an integer from 1 to 1000',
    ],
    [
      ['--scenario', 'power-cut', '--pattern', 'fsync'],
      '--pattern: "fsync" is not one of writeback, writethrough, unsafe',
    ],
    [['--scenario', 'power-cut', '--cut', 'power,kill'], '--cut takes one of power, kill'],
    [
      ['--scenario', 'steady', '--vcpus', '1'],
      'aio mode cached runs the random writes (the 2nd operation): it needs vcpus 2 or more',
    ],
    [['--policy', 'eager'], '--policy: "eager" is not one of inline, bh, prealloc'],
    [['--vcpus', '17'], 'cold-burst: vcpus 17 is not an integer from 1 to 16'],
    [['--json'], '--json needs a value'],
    [['--no-build=yes'], '--no-build takes no value (got "yes")'],
    [['--runtime', '100', '--runtime', '200'], '--runtime is given twice'],
    [['--fast'], 'unknown argument "--fast" (see --help)'],
    [
      ['--scenario', 'cold-burst', '--trials', '0'],
      'cold-burst: trials 0 is not an integer from 1 to 50',
    ],
    [
      ['--scenario', 'steady', '--trace', 'out'],
      "--trace is cold-burst's: add cold-burst to --scenario",
    ],
  ])('bench/args-refuses %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it('bench/args-names-the-scenario-once', () => {
    // bench.ts prints "bench: " before the message.
    expect(() => parseArgs(['--vcpus', '17'])).toThrow(/^cold-burst: vcpus 17 is not an integer/);
  });
});
