// Sizes as people type them: a number and a unit (B, KiB, MiB, GiB, TiB; k/M/G read as binary).

const UNITS: Record<string, number> = {
  b: 1,
  k: 2 ** 10,
  kib: 2 ** 10,
  kb: 2 ** 10,
  m: 2 ** 20,
  mib: 2 ** 20,
  mb: 2 ** 20,
  g: 2 ** 30,
  gib: 2 ** 30,
  gb: 2 ** 30,
  t: 2 ** 40,
  tib: 2 ** 40,
  tb: 2 ** 40,
};

export const SIZE_UNITS = ['KiB', 'MiB', 'GiB'] as const;

/** Bytes of `amount` `unit`; NaN when it is not a number and a known unit. */
export function parseSize(amount: string, unit: string): number {
  const n = Number(amount.trim());
  const scale = UNITS[unit.trim().toLowerCase()];
  if (amount.trim() === '' || !Number.isFinite(n) || scale === undefined) return NaN;
  return Math.round(n * scale);
}
