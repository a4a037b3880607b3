// Numbers for people: latencies, rates, sizes.

export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return '–';
  if (us < 1000) return `${us.toFixed(us < 10 ? 1 : 0)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

export function fmtRate(perSecond: number): string {
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(1)} k/s`;
  return `${perSecond.toFixed(perSecond < 10 ? 1 : 0)}/s`;
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

export const fmtBandwidth = (bytesPerSecond: number) => `${fmtBytes(bytesPerSecond)}/s`;
