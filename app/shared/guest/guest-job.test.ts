import { describe, expect, it } from 'vitest';
import { resolveJob } from './guest-job.ts';

describe('guest jobs', () => {
  it("guest-job/regions: default regions never overlap, whatever each vCPU's block size", () => {
    const disk = 64 << 20;
    const sizes = [4096, 8192, 16384, 32768, 4096, 12288, 512, 65536];
    const regions = sizes.map((bs, v) =>
      resolveJob({ rw: 'randrw', bs, iodepth: 8 }, v, 8, disk, 128),
    );
    regions.forEach((r, v) => {
      expect(r.size % r.bs).toBe(0);
      expect(r.offset % 512).toBe(0);
      expect(r.offset + r.size).toBeLessThanOrEqual(disk);
      const next = regions[v + 1];
      if (next) expect(r.offset + r.size).toBeLessThanOrEqual(next.offset);
    });
  });

  it('guest-job/defaults: one pass over the region unless ios or runtime say otherwise', () => {
    const j = resolveJob({ rw: 'read', bs: 4096, iodepth: 4 }, 1, 2, 1 << 20, 128);
    expect(j).toMatchObject({
      offset: 1 << 19,
      size: 1 << 19,
      ios: 128,
      runtimeMs: Infinity,
      seed: 2,
    });
    const timed = resolveJob(
      { rw: 'read', bs: 4096, iodepth: 4, runtimeMs: 100 },
      0,
      1,
      1 << 20,
      128,
    );
    expect(timed.ios).toBe(Infinity);
  });

  it('guest-job/refusals name the value', () => {
    const bad = (job: object) => () => resolveJob(job as never, 0, 1, 1 << 20, 16);
    expect(bad({ rw: 'read', bs: 4096, iodepth: 4, size: 4096 * 300 })).toThrow(
      'job of vCPU 0: region [0, 1228800) is beyond the end of the disk (1048576 bytes)',
    );
    expect(bad({ rw: 'read', bs: 4096, iodepth: 4, rwmixread: 101 })).toThrow(
      'rwmixread 101 is not in 0..100',
    );
    expect(bad({ rw: 'read', bs: 4096, iodepth: 4, sizeBytes: 1 })).toThrow(
      'unknown setting "sizeBytes"',
    );
  });
});
