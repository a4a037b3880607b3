// The raw driver's state, shared by its I/O paths (cf. BDRVRawState in block/file-posix.c): the
// image's store and parameters, the write gate and the unsynced bitmap the durability rests on,
// and one request as a worker serves it (cf. RawPosixAIOData).

import type { BlockRequest, CacheMode } from '../../app/shared/block/block.ts';
import type { Control } from '../../app/shared/layout/layout.ts';
import type { HttpBacking } from './backing.ts';
import type { ChunkPiece } from './chunk-map.ts';
import type { ChunkStore } from './chunk-store.ts';
import type { IoVector } from './iov.ts';
import type { UnsyncedChunks } from './unsynced.ts';
import type { WriteGate } from './write-gate.ts';

export interface RawState {
  readonly db: IDBDatabase;
  readonly name: string;
  readonly chunkSize: number;
  readonly cacheMode: CacheMode;
  readonly ctl: Control;
  readonly store: ChunkStore;
  readonly gate: WriteGate;
  readonly unsynced: UnsyncedChunks;
  /** An overlay's base over HTTP; undefined for a plain image. */
  readonly backing: HttpBacking | undefined;
}

/** A read or write request of a batch: its data in the DMA buffer, its pieces chunk by chunk. */
export interface RawJob {
  req: BlockRequest;
  data: IoVector;
  pieces: ChunkPiece[];
}

/** Chunks written back per transaction pair: well under one memtable (4 MiB) for both copies. */
export const WRITEBACK_CHUNKS = 16;

/** A write completes only once it is durable (each written back twice, strict). */
export function isStrict(cacheMode: CacheMode): boolean {
  return cacheMode === 'writethrough' || cacheMode === 'directsync';
}

export function count(s: RawState, index: number, n = 1): void {
  Atomics.add(s.ctl.i32, index, n);
}
