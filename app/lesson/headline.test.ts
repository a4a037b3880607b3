import { describe, expect, it } from 'vitest';
import type { ColdBurstRun } from '../../bench/shared/cold-burst-params.ts';
import { figuresOf, headline, type PolicyFigures } from './headline.ts';

const one = (v: number) => ({ median: v, min: v, max: v });

const inline: PolicyFigures = {
  trials: 1,
  holdUs: one(81_000),
  createdInExit: 64,
  byCreator: { vcpu0: 64 },
  burstDoneMs: one(326),
  burst: 64,
};
const bh: PolicyFigures = {
  trials: 1,
  holdUs: one(1_000),
  createdInExit: 0,
  byCreator: { main: 64 },
  burstDoneMs: one(121.4),
  burst: 64,
};

describe('lesson/headline', () => {
  it('says the measured holds, who created the workers, the ratio and the trials', () => {
    const h = headline(inline, bh);
    expect(h.sentence).toBe(
      'Before the patch (inline), vCPU 0 held the big lock for 81.0 ms while it created 64 pool ' +
        'workers itself; with the patch (bh), the main thread created them and vCPU 0 held the ' +
        'lock for 1.0 ms — 81× shorter. One trial of each so far.',
    );
    expect(h.detail).toBe(
      'All 64 reads were answered 326 ms after the doorbell under inline and 121 ms under bh.',
    );
  });

  it('gives medians with their spread once there are several trials', () => {
    const h = headline(
      { ...inline, trials: 5, holdUs: { median: 46_600, min: 30_000, max: 104_300 } },
      { ...bh, trials: 5, holdUs: { median: 1_300, min: 900, max: 2_800 } },
    );
    expect(h.sentence).toContain('for 46.6 ms while');
    expect(h.sentence).toContain('for 1.3 ms — 36× shorter.');
    expect(h.sentence).toContain('Medians of 5 trials each (inline 30.0–104 ms, bh 0.9–2.8 ms).');
  });

  it('counts the trials of each policy when they differ', () => {
    const h = headline({ ...inline, trials: 3 }, { ...bh, trials: 2 });
    expect(h.sentence).toContain('Medians of 3 inline and 2 bh trials');
  });

  it('does not claim a gain that a noisy trial did not show', () => {
    const h = headline({ ...inline, holdUs: one(900) }, { ...bh, holdUs: one(1_200) });
    expect(h.sentence).toContain('— no shorter this time (a busy machine can blur one trial).');
    expect(h.sentence).not.toMatch(/×/);
  });

  it('says so when the patched hold is below the clock step', () => {
    const h = headline(inline, { ...bh, holdUs: one(0) });
    expect(h.sentence).toContain('held the lock for 0.0 ms — too short for the clock to see.');
  });

  it('says 4.2× with a decimal below ten', () => {
    const h = headline({ ...inline, holdUs: one(4_200) }, bh);
    expect(h.sentence).toContain('— 4.2× shorter.');
  });
});

describe('lesson/figures-of', () => {
  const run = (variant: string, holdUs: number, error: string | null = null) =>
    ({
      variant,
      error,
      burstExits: { bqlHoldUs: holdUs, workersCreated: variant === 'inline' ? 64 : 0 },
      workers: { byCreator: variant === 'inline' ? { vcpu0: 64 } : { main: 64 } },
      times: { burstCompleteMs: holdUs / 100 },
    }) as unknown as ColdBurstRun;

  it("takes each policy's finished runs only: medians, spreads, the latest creators", () => {
    const runs = [
      run('inline', 40_000),
      run('bh', 1_000),
      run('inline', 80_000),
      run('bh', 3_000, 'cold-burst bh: waiting until the pool stops growing: no progress'),
      run('inline', 60_000),
    ];
    const f = figuresOf(runs, 'inline', 64);
    expect(f).toMatchObject({
      trials: 3,
      holdUs: { median: 60_000, min: 40_000, max: 80_000 },
      createdInExit: 64,
      byCreator: { vcpu0: 64 },
      burstDoneMs: { median: 600, min: 400, max: 800 },
    });
    expect(figuresOf(runs, 'bh', 64)?.trials).toBe(1);
    expect(figuresOf(runs, 'prealloc', 64)).toBeUndefined();
  });
});
