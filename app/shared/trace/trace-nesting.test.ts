import { describe, expect, it } from 'vitest';
import { traceNestingViolations, type TraceFileEvent } from './trace-nesting.ts';

const x = (name: string, ts: number, dur: number, tid = 1, pid = 1): TraceFileEvent => ({
  name,
  ph: 'X',
  ts,
  dur,
  pid,
  tid,
});
const check = (traceEvents: TraceFileEvent[]) => traceNestingViolations({ traceEvents });

describe('trace nesting', () => {
  it('trace-nesting/partial-overlap: a slice that starts inside another and outlasts it is named', () => {
    const threadName: TraceFileEvent = {
      name: 'thread_name',
      ph: 'M',
      ts: 0,
      pid: 1,
      tid: 100,
      args: { name: 'vCPU 0' },
    };
    const found = check([
      threadName,
      x('BQL held', 900, 800, 100),
      x('queued read vcpu0#63', 1000, 446_000, 100),
    ]);
    expect(found).toEqual([
      'pid 1 tid 100 (vCPU 0): "BQL held" [900, 1700] µs and "queued read vcpu0#63" ' +
        '[1000, 447000] µs overlap without nesting',
    ]);
  });

  it('trace-nesting/every-pair: three slices each overlapping the next two give three pairs', () => {
    const found = check([x('a', 0, 10), x('b', 5, 10), x('c', 6, 14)]);
    expect(found).toHaveLength(3);
    expect(found[0]).toContain('"a" [0, 10] µs and "b" [5, 15] µs');
    expect(found[1]).toContain('"a" [0, 10] µs and "c" [6, 20] µs');
    expect(found[2]).toContain('"b" [5, 15] µs and "c" [6, 20] µs');
  });

  it('trace-nesting/nests: nesting, touching, equal bounds and empty slices at the edges pass', () => {
    expect(
      check([
        x('exit', 100, 50),
        x('BQL wait', 100, 20),
        x('BQL held', 120, 30),
        x('same as exit', 100, 50),
        x('empty at its start', 100, 0),
        x('empty at its end', 150, 0),
        x('next, touching', 150, 10),
        x('inside next', 151, 2),
        x('later', 1000, 1),
      ]),
    ).toEqual([]);
  });

  it('trace-nesting/tracks: overlap on different threads or processes is no breach', () => {
    expect(check([x('a', 0, 10, 1), x('b', 5, 10, 2), x('c', 5, 10, 1, 2)])).toEqual([]);
  });

  it('trace-nesting/bad-x: a slice without a finite ts and dur ≥ 0 is named', () => {
    const noDur: TraceFileEvent = { name: 'n', ph: 'X', ts: 5, pid: 1, tid: 1 };
    expect(check([x('neg', 0, -1), noDur])).toEqual([
      'pid 1 tid 1: X slice "neg" has ts 0 and dur -1',
      'pid 1 tid 1: X slice "n" has ts 5 and dur undefined',
    ]);
  });
});

describe('trace nesting, async slices', () => {
  const a = (ph: 'b' | 'e', name: string, ts: number, id: string, pid = 1): TraceFileEvent => ({
    name,
    ph,
    ts,
    pid,
    tid: 1,
    cat: 'request',
    id2: { local: id },
  });

  it('trace-nesting/async-tree: a root holding phases that touch, some of 0 µs, pairs up', () => {
    const tree = [
      a('b', 'read vcpu0', 10, 'r1'),
      a('b', 'queued', 10, 'r1'),
      a('e', 'queued', 10, 'r1'),
      a('b', 'served', 10, 'r1'),
      a('e', 'served', 20, 'r1'),
      a('b', 'completed', 20, 'r1'),
      a('e', 'completed', 30, 'r1'),
      a('e', 'read vcpu0', 30, 'r1'),
    ];
    // Another request overlapping it without nesting: another tree, no breach.
    const other = [a('b', 'read vcpu0', 15, 'r2'), a('e', 'read vcpu0', 40, 'r2')];
    expect(check([...tree, ...other])).toEqual([]);
  });

  it('trace-nesting/async-unpaired: an e with nothing open, a b never ended, a child outlasting its parent', () => {
    expect(check([a('e', 'lone', 5, 'r1')])).toEqual([
      'pid 1 cat request id2.local r1: e "lone" at 5 µs ends nothing open',
    ]);
    expect(check([a('b', 'open', 5, 'r1')])).toEqual([
      'pid 1 cat request id2.local r1: b "open" at 5 µs is never ended',
    ]);
    const found = check([
      a('b', 'parent', 0, 'r1'),
      a('b', 'child', 5, 'r1'),
      a('e', 'parent', 10, 'r1'),
      a('e', 'child', 15, 'r1'),
    ]);
    expect(found).toHaveLength(2);
    expect(found[0]).toContain('e "parent" at 10 µs while "child" (b at 5 µs) is the innermost');
  });

  it('trace-nesting/async-ids: id2.local is per process; a plain id is one tree for the file', () => {
    // Two traces in one file, each with its request 7, overlapping in time.
    const two = [a('b', 'p', 0, '7', 1), a('b', 'q', 5, '7', 2)];
    const ends = [a('e', 'p', 10, '7', 1), a('e', 'q', 15, '7', 2)];
    expect(check([...two, ...ends])).toEqual([]);
    const global = [...two, ...ends].map(({ id2, ...e }) => ({ ...e, id: id2?.local }));
    expect(check(global)).toEqual([
      'cat request id 7: e "p" at 10 µs while "q" (b at 5 µs) is the innermost open slice',
      'cat request id 7: e "q" at 15 µs while "p" (b at 0 µs) is the innermost open slice',
    ]);
    expect(check([{ name: 'no id', ph: 'b', ts: 0, pid: 1, tid: 1 }])).toEqual([
      'pid 1: async b "no id" at 0 µs has no id or id2',
    ]);
  });
});
