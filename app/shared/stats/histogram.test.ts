import { describe, expect, it } from 'vitest';
import { bucketOf, bucketRange, Histogram, HISTOGRAM_BUCKETS } from './histogram.ts';
import { Rng } from '../guest/rng.ts';

/** A seeded uniform generator in [0, 1). */
const rng = (seed: number) => {
  const r = new Rng(seed);
  return () => r.next();
};

describe('histogram', () => {
  it('histogram/buckets: every value falls inside its bucket, buckets are ordered', () => {
    const rand = rng(1);
    for (let i = 0; i < 20_000; i++) {
      const ns = Math.floor(2 ** (rand() * 40));
      const b = bucketOf(ns);
      const { lowNs, widthNs } = bucketRange(b);
      expect(ns).toBeGreaterThanOrEqual(lowNs);
      expect(ns).toBeLessThan(lowNs + widthNs);
      if (lowNs >= 16) expect(widthNs / lowNs).toBeLessThanOrEqual(1 / 16);
    }
    expect(bucketOf(2 ** 45)).toBe(HISTOGRAM_BUCKETS - 1);
    expect(bucketOf(-5)).toBe(0);
  });

  it('histogram/quantiles: within 1/16 of the exact order statistic', () => {
    const rand = rng(7);
    const h = Histogram.create();
    const values: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const us = 10 + rand() * rand() * 5000;
      values.push(us);
      h.record(us);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = values[Math.ceil(q * values.length) - 1];
      expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThan(1 / 16);
    }
    const s = h.summary();
    expect(s.count).toBe(10_000);
    expect(s.min).toBe(values[0]);
    expect(s.max).toBe(values[values.length - 1]);
  });

  it('histogram/since: an interval holds only what was recorded in it', () => {
    const h = Histogram.create();
    for (let i = 0; i < 100; i++) h.record(5);
    const before = h.snapshot();
    for (let i = 0; i < 10; i++) h.record(1000);
    const d = h.since(before);
    expect(d.count).toBe(10);
    expect(d.summary().p50).toBeGreaterThan(930);
    expect(d.summary().min).toBeGreaterThan(930);
  });
});
