import { describe, expect, it } from 'vitest';
import { DEFAULT_AIO_CONFIG, FAITHFUL_AIO_CONFIG, mergeAioConfig } from './aio-config.ts';

describe('AIO settings', () => {
  it('aio-config/merge: a partial setting changes only what it names', () => {
    expect(mergeAioConfig(DEFAULT_AIO_CONFIG, { batch: 1 })).toEqual({
      ...DEFAULT_AIO_CONFIG,
      batch: 1,
    });
    expect(mergeAioConfig(DEFAULT_AIO_CONFIG, FAITHFUL_AIO_CONFIG)).toEqual(FAITHFUL_AIO_CONFIG);
    expect(FAITHFUL_AIO_CONFIG).toEqual({ batch: 1, merge: false, pageCache: false, pollUs: 0 });
  });

  it('aio-config/refuses: bad values and unknown names, each named, EINVAL', () => {
    const refused = (cfg: unknown) => {
      try {
        mergeAioConfig(DEFAULT_AIO_CONFIG, cfg as never);
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
      return 'accepted';
    };
    expect(refused({ batch: 0 })).toMatch(/^EINVAL: .*aio batch = 0 is not an integer in 1\.\.64/);
    expect(refused({ batch: 2.5 })).toMatch(/aio batch = 2\.5/);
    expect(refused({ pollUs: -1 })).toMatch(/aio pollUs = -1 is not an integer in 0\.\.10000/);
    expect(refused({ merge: 'yes' })).toMatch(/aio merge = yes is not true or false/);
    expect(refused({ batchSize: 4 })).toMatch(
      /unknown aio setting "batchSize" \(known: batch, merge, pageCache, pollUs\)/,
    );
    expect(refused(null)).toMatch(/aio configuration null is not an object/);
  });
});
