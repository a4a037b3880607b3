// A base image served by a Playwright route, as a static host would: GET with Range answered
// 206 with Content-Range and a validator, or — for the tests of a bad server — Range ignored.

import type { BrowserContext, Route } from '@playwright/test';

export interface RouteBase {
  bytes: Uint8Array;
  etag: string;
  /** Honour Range (default true). */
  range?: boolean;
  /** Every request's Range header, or "" for none. */
  log?: string[];
  /** Answer Range requests this late (a slow server widens the races between workers). */
  delayMs?: number;
}

/** Serve `base` at `url` in `context`; change its fields to change the server. */
export async function routeBase(context: BrowserContext, url: string, base: RouteBase) {
  await context.route(url, async (route: Route) => {
    const range = route.request().headers()['range'] ?? '';
    base.log?.push(range);
    const size = base.bytes.length;
    const m = /^bytes=(\d+)-(\d*)$/.exec(range);
    const headers = { ETag: base.etag, 'Accept-Ranges': 'bytes' };
    if (base.range === false || !m) {
      await route.fulfill({ status: 200, headers, body: Buffer.from(base.bytes) });
      return;
    }
    if (base.delayMs) await new Promise((r) => setTimeout(r, base.delayMs));
    const start = Number(m[1]);
    const end = Math.min(m[2] ? Number(m[2]) : size - 1, size - 1);
    await route.fulfill({
      status: 206,
      headers: { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}` },
      body: Buffer.from(base.bytes.subarray(start, end + 1)),
    });
  });
}

/** Deterministic bytes that are nowhere zero for long (mulberry32). */
export function seededBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}
