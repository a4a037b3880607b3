// The raw driver's flush (cf. raw_co_flush_to_disk() and handle_aiocb_flush() in
// block/file-posix.c): what makes every write completed before it survive a power cut, on an
// IndexedDB whose strict commit alone does not promise that (docs/durability.md).

import { Errno } from '../../app/shared/block/errno.ts';
import { AbortedOnPurpose, type ChunkWrite } from './chunk-store.ts';
import { writeMeta } from './image-db.ts';
import type { PageCache } from './page-cache.ts';
import { writeBack } from './raw-cached-io.ts';
import { count, WRITEBACK_CHUNKS, type RawState } from './raw-state.ts';

/**
 * Make every write completed before now survive a power cut: the dirty pages written back
 * durably, then every chunk a relaxed transaction wrote since the last flush committed again,
 * durably, then the flush generation. A failed flush poisons the image: every later flush
 * fails too (QEMU's page_cache_inconsistent). `injected` (blkdebug) fails it on purpose.
 */
export async function rawFlush(
  s: RawState,
  cache: PageCache | undefined,
  injected: number,
): Promise<number> {
  if (s.cacheMode === 'unsafe') return 0;
  const { i32, L } = s.ctl;
  if (Atomics.load(i32, L.image.flushPoisoned)) return -Errno.EIO;
  const taken: number[] = [];
  try {
    if (injected) throw new AbortedOnPurpose(injected);
    if (cache) await writeBack(s, cache);
    s.gate.enterExclusive();
    try {
      taken.push(...s.unsynced.take());
      for (let k = 0; k < taken.length; k += WRITEBACK_CHUNKS) {
        // Commit again what the image holds now (nothing else writes meanwhile: the gate).
        const chunks = taken.slice(k, k + WRITEBACK_CHUNKS);
        const values = await s.store.read(chunks, { base: false });
        const again = new Map<number, ChunkWrite>();
        chunks.forEach((c, j) => {
          if (values[j].stored) again.set(c, { patches: [] });
          // Gone: deleted by a relaxed write; over a base it would be a tombstone, not gone.
          else if (s.store.deletes(c)) again.set(c, { whole: null });
        });
        await s.store.commitTwice(again);
        count(s, L.aio.durableTx, 2);
      }
      await writeMeta(s.db, (meta) => ({ ...meta, generation: meta.generation + 1 }));
    } finally {
      s.gate.leaveExclusive();
    }
    return 0;
  } catch (e) {
    // What was not made durable stays noted, for whoever flushes next (it will fail: poisoned).
    s.unsynced.add(taken);
    Atomics.store(i32, L.image.flushPoisoned, 1);
    throw e;
  }
}
