// The raw driver's plain I/O, without the page cache (cf. handle_aiocb_rw() in
// block/file-posix.c): a batch's reads in one readonly transaction, its writes in one relaxed
// transaction noted unsynced for the next flush, or, in a strict cache mode, committed durably
// before they complete (docs/durability.md). The cached path builds on the pieces here.

import { BlockOp } from '../../app/shared/block/block.ts';
import type { ChunkWrite, ReadChunk } from './chunk-store.ts';
import { count, isStrict, type RawJob, type RawState } from './raw-state.ts';

/** The chunks a batch touches, each once. */
export function chunksOf(jobs: readonly RawJob[]): number[] {
  return [...new Set(jobs.flatMap((j) => j.pieces.map((p) => p.chunkIndex)))];
}

/** Read chunks for a batch of `requests` reads in one transaction, counted. */
export async function readFromImage(
  s: RawState,
  chunks: readonly number[],
  requests: number,
): Promise<ReadChunk[]> {
  if (chunks.length === 0) return [];
  // The worker passes a task boundary after completing the batch (PoolIo.settle).
  const values = await s.store.read(chunks, { settle: false });
  count(s, s.ctl.L.aio.readTx);
  count(s, s.ctl.L.aio.readTxRequests, requests);
  return values;
}

/**
 * Give each read its bytes from `source` (a chunk missing there reads as zeros), and count an
 * overlay's bytes by where they came from: `baseChunks` its base gave, now or earlier.
 */
export function copyToRequests(
  s: RawState,
  jobs: readonly RawJob[],
  source: ReadonlyMap<number, Uint8Array | undefined>,
  baseChunks: ReadonlySet<number>,
): void {
  let fromBase = 0;
  let local = 0;
  for (const j of jobs) {
    for (const piece of j.pieces) {
      const chunk = source.get(piece.chunkIndex);
      if (chunk) j.data.copyIn(piece.offsetInRequest, chunk, piece.offsetInChunk, piece.nbytes);
      else j.data.zero(piece.offsetInRequest, piece.nbytes);
      if (baseChunks.has(piece.chunkIndex)) fromBase += piece.nbytes;
      else local += piece.nbytes;
    }
  }
  if (s.backing) {
    const { i64, L } = s.ctl;
    Atomics.add(i64, L.image.baseReadBytes, BigInt(fromBase));
    Atomics.add(i64, L.image.overlayReadBytes, BigInt(local));
  }
}

/** A batch of reads from the image (cf. raw_co_preadv()). */
export async function rawPreadv(s: RawState, jobs: readonly RawJob[]): Promise<void> {
  const chunks = chunksOf(jobs);
  const values = await readFromImage(s, chunks, jobs.length);
  const source = new Map<number, Uint8Array | undefined>();
  const baseChunks = new Set<number>();
  chunks.forEach((chunk, k) => {
    const { bytes, fromBase } = values[k];
    if (fromBase) baseChunks.add(chunk);
    source.set(chunk, bytes);
  });
  copyToRequests(s, jobs, source, baseChunks);
}

/** What the batch does to each chunk, request by request (a later request's bytes win). */
export function writePlan(jobs: readonly RawJob[], chunkSize: number): Map<number, ChunkWrite> {
  const plan = new Map<number, ChunkWrite>();
  for (const j of jobs) {
    for (const p of j.pieces) {
      let bytes: Uint8Array | undefined;
      if (j.req.op === BlockOp.WRITE) {
        bytes = new Uint8Array(p.nbytes);
        j.data.copyOut(p.offsetInRequest, bytes, 0, p.nbytes);
      }
      const w = plan.get(p.chunkIndex);
      if (p.nbytes === chunkSize) {
        plan.set(p.chunkIndex, { whole: bytes ?? null });
      } else if (w && 'whole' in w) {
        // On top of a whole chunk: the result is a whole chunk again.
        const full = w.whole ?? new Uint8Array(chunkSize);
        if (bytes) full.set(bytes, p.offsetInChunk);
        else full.fill(0, p.offsetInChunk, p.offsetInChunk + p.nbytes);
        plan.set(p.chunkIndex, { whole: full });
      } else {
        const patch = { at: p.offsetInChunk, len: p.nbytes, bytes };
        if (w) w.patches.push(patch);
        else plan.set(p.chunkIndex, { patches: [patch] });
      }
    }
  }
  return plan;
}

/** A batch of `requests` writes to the image, as `plan` (cf. raw_co_pwritev()). */
export async function rawPwritev(
  s: RawState,
  plan: ReadonlyMap<number, ChunkWrite>,
  requests: number,
): Promise<void> {
  if (isStrict(s.cacheMode)) {
    await s.store.writeDurably(plan, s.gate);
    count(s, s.ctl.L.aio.durableTx, 2);
  } else {
    // Relaxed: durable only once a flush commits these chunks again (they are noted unsynced).
    const base = await s.store.baseFor(plan);
    s.gate.enterShared();
    try {
      await s.store.write(plan, 'relaxed', { base });
      s.unsynced.add([...plan.keys()]);
    } finally {
      s.gate.leaveShared();
    }
    count(s, s.ctl.L.aio.writeTx);
  }
  count(s, s.ctl.L.aio.writeTxRequests, requests);
}
