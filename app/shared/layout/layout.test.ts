import { describe, expect, it } from 'vitest';
import { attachControl, createControl, LAYOUT_VERSION, layoutBytes } from './layout.ts';
import { runThread } from '../testing/threads.ts';

const params = { nslots: 64, maxIov: 8, nrecords: 256, nvcpus: 2, cachePages: 0, diskChunks: 0 };

describe('control layout', () => {
  it('layout/size-from-params: the length grows with every parameter', () => {
    const base = layoutBytes(params);
    expect(createControl(params).sab.byteLength).toBe(base);
    expect(layoutBytes({ ...params, nslots: 128 })).toBeGreaterThan(base);
    expect(layoutBytes({ ...params, maxIov: 16 })).toBeGreaterThan(base);
    expect(layoutBytes({ ...params, nrecords: 512 })).toBeGreaterThan(base);
    expect(layoutBytes({ ...params, nvcpus: 4 })).toBeGreaterThan(base);
    expect(layoutBytes({ ...params, cachePages: 64 })).toBeGreaterThan(base);
    expect(layoutBytes({ ...params, diskChunks: 4096 })).toBeGreaterThan(base);
    expect(layoutBytes({ ...params, ideRing: 32 })).toBeGreaterThan(base);
    expect(() => layoutBytes({ ...params, cachePages: 24 })).toThrow(/multiple of 16 ways/);
  });

  it('layout/attach: a thread attaches to a buffer made by createControl()', async () => {
    const ctl = createControl(params);
    expect(await runThread({ scenario: 'attach', sab: ctl.sab })).toBe('attached');
    expect(attachControl(ctl.sab).L.pool.curThreads).toBe(ctl.L.pool.curThreads);
  });

  it('layout/attach-refuses: wrong magic, version or length throw with the values', () => {
    const junk = new SharedArrayBuffer(4096);
    expect(() => attachControl(junk)).toThrow(/magic 0x0 is not 0x5741494f/);

    const ctl = createControl(params);
    ctl.i32[ctl.L.header.version] = LAYOUT_VERSION + 1;
    expect(() => attachControl(ctl.sab)).toThrow(
      `control layout version ${LAYOUT_VERSION + 1}, this bundle reads ${LAYOUT_VERSION}`,
    );

    const other = createControl(params);
    const bigger = new SharedArrayBuffer(other.sab.byteLength + 8);
    new Uint8Array(bigger).set(new Uint8Array(other.sab));
    expect(() => attachControl(bigger)).toThrow(
      new RegExp(
        `control buffer is ${bigger.byteLength} bytes \\(header says ${other.sab.byteLength}\\)`,
      ),
    );

    expect(() => attachControl(new SharedArrayBuffer(8))).toThrow(/8 bytes is too small/);
  });

  it('layout/params-checked: nonsense sizes are refused with the value', () => {
    expect(() => layoutBytes({ ...params, nslots: 0 })).toThrow('nslots = 0 is not an integer');
    expect(() => layoutBytes({ ...params, maxIov: 1.5 })).toThrow('maxIov = 1.5');
  });
});
