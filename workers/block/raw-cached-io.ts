// The raw driver's I/O through the page cache (cf. file-posix.c's reads and writes under
// cache=writeback, which the host page cache serves): reads fill the pages they miss, writes
// land in pages, and dirty pages are written back durably — to make room, in a strict cache
// mode before the write completes, and for a flush (raw-flush.ts).

import { isZeroChunk } from '../../app/shared/block/image-format.ts';
import type { ChunkWrite, ReadChunk } from './chunk-store.ts';
import type { PageCache, Pinned, Taken } from './page-cache.ts';
import { chunksOf, copyToRequests, readFromImage } from './raw-io.ts';
import { count, isStrict, WRITEBACK_CHUNKS, type RawJob, type RawState } from './raw-state.ts';

/** A batch of reads through the cache: hits from their pages, misses read into pages claimed
 *  for them, or around the cache when their set has no room (nothing stale is kept by it). */
export async function cachedPreadv(
  s: RawState,
  cache: PageCache,
  jobs: readonly RawJob[],
): Promise<void> {
  const pinned = cache.pin(chunksOf(jobs));
  const fromImage = pinned.filter((p) => p.page < 0 || p.fill);
  let values: ReadChunk[];
  try {
    values = await readFromImage(
      s,
      fromImage.map((p) => p.chunk),
      jobs.length,
    );
  } catch (e) {
    cache.release(pinned);
    throw e;
  }
  const source = new Map<number, Uint8Array | undefined>();
  const baseChunks = new Set<number>();
  fromImage.forEach((p, k) => {
    const { bytes, fromBase } = values[k];
    if (fromBase) baseChunks.add(p.chunk);
    if (p.page >= 0) {
      const page = cache.bytes(p.page);
      if (bytes) page.set(bytes);
      else page.fill(0);
    } else {
      source.set(p.chunk, bytes);
    }
  });
  for (const p of pinned) if (p.page >= 0) source.set(p.chunk, cache.bytes(p.page));
  copyToRequests(s, jobs, source, baseChunks);
  for (const p of pinned) if (p.claimed) cache.filled(p.page, true);
  cache.unpin(pinned.filter((p) => p.page >= 0).map((p) => p.page));
}

/** A batch of writes, as `plan`, into the cache; in a strict mode written back before it ends. */
export async function cachedPwritev(
  s: RawState,
  cache: PageCache,
  plan: ReadonlyMap<number, ChunkWrite>,
): Promise<void> {
  await writeToCache(s, cache, plan);
  if (isStrict(s.cacheMode)) await writeBack(s, cache, [...plan.keys()]);
}

/**
 * Put the plan's bytes in the cache's pages, reading partially written chunks from the image
 * first. Every write goes through the cache: a set with no room has its dirty pages written
 * back (or waits for pins to drop), holding no pin meanwhile, then is tried again.
 */
async function writeToCache(
  s: RawState,
  cache: PageCache,
  plan: ReadonlyMap<number, ChunkWrite>,
): Promise<void> {
  const whole = new Set([...plan].filter(([, w]) => 'whole' in w).map(([c]) => c));
  for (const round of roundsBySet([...plan.keys()], cache)) {
    let pinned: Pinned[];
    for (;;) {
      pinned = cache.pin(round, whole);
      const full = pinned.filter((p) => p.page < 0).map((p) => p.chunk);
      if (full.length === 0) break;
      cache.release(pinned);
      if (cache.dirtyIn(full)) await writeBack(s, cache, full, { sets: true });
      else cache.waitForRoom();
    }
    const fill = pinned.filter((p) => p.fill);
    try {
      const values = await s.store.read(fill.map((p) => p.chunk));
      if (fill.length) count(s, s.ctl.L.aio.readTx);
      fill.forEach((p, k) => {
        const page = cache.bytes(p.page);
        const { bytes } = values[k];
        if (bytes) page.set(bytes);
        else page.fill(0);
      });
    } catch (e) {
      cache.release(pinned);
      throw e;
    }
    for (const p of pinned) {
      const w = plan.get(p.chunk);
      const page = cache.bytes(p.page);
      if (!w) continue;
      if ('whole' in w) {
        if (w.whole) page.set(w.whole);
        else page.fill(0);
      } else {
        for (const patch of w.patches) {
          if (patch.bytes) page.set(patch.bytes, patch.at);
          else page.fill(0, patch.at, patch.at + patch.len);
        }
      }
    }
    const pages = pinned.map((p) => p.page);
    cache.dirtied(pages);
    cache.unpin(pages);
  }
}

/**
 * Write dirty pages back, durably: all of them, or those of `chunks` (with `sets`: every dirty
 * page of their sets, to make room), WRITEBACK_CHUNKS per transaction pair.
 */
export async function writeBack(
  s: RawState,
  cache: PageCache,
  chunks?: readonly number[],
  opts: { sets?: boolean } = {},
): Promise<void> {
  cache.beginWriteback();
  try {
    const taken = cache.takeDirty(chunks ? { chunks, sets: opts.sets } : {});
    for (let k = 0; k < taken.length; k += WRITEBACK_CHUNKS) {
      await writeBackPages(s, cache, taken.slice(k, k + WRITEBACK_CHUNKS));
    }
  } finally {
    cache.endWriteback();
  }
}

async function writeBackPages(
  s: RawState,
  cache: PageCache,
  taken: readonly Taken[],
): Promise<void> {
  const plan = new Map<number, ChunkWrite>();
  for (const t of taken) {
    const bytes = cache.bytes(t.page);
    plan.set(t.chunk, { whole: isZeroChunk(bytes) ? null : bytes.slice() });
  }
  let ok = false;
  try {
    if (s.cacheMode === 'unsafe') await s.store.write(plan, 'relaxed');
    else await s.store.writeDurably(plan, s.gate);
    count(s, s.ctl.L.aio.durableTx, s.cacheMode === 'unsafe' ? 1 : 2);
    ok = true;
  } finally {
    cache.wroteBack(taken, ok);
  }
}

/** The chunks in rounds that pin at most one set's worth of pages per set at a time. */
function roundsBySet(chunks: readonly number[], cache: PageCache): number[][] {
  const rounds: number[][] = [];
  const used = new Map<number, number>();
  for (const chunk of chunks) {
    const set = cache.setOf(chunk);
    const n = used.get(set) ?? 0;
    used.set(set, n + 1);
    const round = Math.floor(n / cache.setSize);
    (rounds[round] ??= []).push(chunk);
  }
  return rounds;
}
