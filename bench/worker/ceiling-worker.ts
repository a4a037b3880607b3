// The benchmark's baseline: the emulator's work done the plain way, idb-keyval calls on an image's
// chunk store from one dedicated worker, with no pool, no shared memory and no main loop.
// A read is get(), a whole-chunk write set(), a partial one update() (read-modify-write).

import { expose } from 'comlink';
import { get, getMany, set, setMany, update, type UseStore } from 'idb-keyval';
import type { CeilingWorkerApi, IoJob } from '../shared/bench-contracts.ts';
import {
  extentsOf,
  jobOffsets,
  PREFILL_CHUNKS,
  PREFILL_INFLIGHT,
  randomBytes,
  runClosedLoop,
  runConcurrently,
  sideResult,
} from '../shared/bench-loop.ts';
import { nowMs } from '../../app/shared/clock.ts';
import { Histogram } from '../../app/shared/histogram.ts';
import { STORE_CHUNKS } from '../../app/shared/image-format.ts';
import { openImageDb } from '../../workers/block/image-db.ts';

interface Image {
  name: string;
  db: IDBDatabase;
  chunkSize: number;
  store: UseStore;
}

let image: Image | undefined;

/** A UseStore whose writes commit with relaxed durability, as the emulator's writeback mode. */
function relaxedStore(db: IDBDatabase): UseStore {
  return (mode, callback) => {
    const tx =
      mode === 'readwrite'
        ? db.transaction(STORE_CHUNKS, mode, { durability: 'relaxed' })
        : db.transaction(STORE_CHUNKS, mode);
    return Promise.resolve(callback(tx.objectStore(STORE_CHUNKS)));
  };
}

function opened(): Image {
  if (!image) throw new Error('ceiling worker: open() was not called');
  return image;
}

function chunkOf(img: Image, value: unknown, chunkIndex: number): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof ArrayBuffer) || value.byteLength !== img.chunkSize) {
    throw new Error(
      `image "${img.name}": chunk ${chunkIndex} holds ${Object.prototype.toString.call(value)}, ` +
        `not an ArrayBuffer of ${img.chunkSize} bytes`,
    );
  }
  return new Uint8Array(value);
}

/** One request of `job.bs` bytes at `byteOffset`, as idb-keyval calls; `data` is its bytes. */
function requestFn(
  img: Image,
  job: IoJob,
  data: Uint8Array,
): (byteOffset: number) => Promise<void> {
  const { chunkSize, store } = img;
  const { bs } = job;
  if (bs > chunkSize && bs % chunkSize !== 0) {
    throw new RangeError(`request size ${bs} is not a multiple of the chunk size ${chunkSize}`);
  }
  if (bs < chunkSize && chunkSize % bs !== 0) {
    throw new RangeError(`request size ${bs} does not divide the chunk size ${chunkSize}`);
  }
  const dst = new Uint8Array(bs);
  const chunks = Math.max(1, bs / chunkSize);
  const indices = (byteOffset: number) =>
    Array.from({ length: chunks }, (_, k) => Math.floor(byteOffset / chunkSize) + k);

  if (job.op === 'read' && bs <= chunkSize) {
    return async (byteOffset) => {
      const chunkIndex = Math.floor(byteOffset / chunkSize);
      const chunk = chunkOf(img, await get(chunkIndex, store), chunkIndex);
      const at = byteOffset % chunkSize;
      if (chunk) dst.set(chunk.subarray(at, at + bs));
      else dst.fill(0);
    };
  }
  if (job.op === 'read') {
    return async (byteOffset) => {
      const keys = indices(byteOffset);
      const values = await getMany(keys, store);
      keys.forEach((chunkIndex, k) => {
        const chunk = chunkOf(img, values[k], chunkIndex);
        if (chunk) dst.set(chunk, k * chunkSize);
        else dst.fill(0, k * chunkSize, (k + 1) * chunkSize);
      });
    };
  }
  if (bs < chunkSize) {
    return (byteOffset) => {
      const chunkIndex = Math.floor(byteOffset / chunkSize);
      return update(
        chunkIndex,
        (old: unknown) => {
          const chunk = chunkOf(img, old, chunkIndex) ?? new Uint8Array(chunkSize);
          chunk.set(data, byteOffset % chunkSize);
          return chunk.buffer;
        },
        store,
      );
    };
  }
  if (bs === chunkSize) {
    // A fresh copy per write, as the emulator copies out of shared memory.
    return (byteOffset) => set(byteOffset / chunkSize, data.slice().buffer, store);
  }
  return (byteOffset) =>
    setMany(
      indices(byteOffset).map((chunkIndex, k) => [
        chunkIndex,
        data.slice(k * chunkSize, (k + 1) * chunkSize).buffer,
      ]),
      store,
    );
}

const api = {
  async open(name: string, chunkSize: number) {
    image?.db.close();
    const db = await openImageDb(name);
    image = { name, db, chunkSize, store: relaxedStore(db) };
  },

  async prefill(regionBytes: number, seed: number) {
    const img = opened();
    const t0 = nowMs();
    const extentBytes = PREFILL_CHUNKS * img.chunkSize;
    const data = randomBytes(extentBytes, seed);
    await runConcurrently(extentsOf(regionBytes, extentBytes), PREFILL_INFLIGHT, ([off, n]) => {
      const entries: [number, ArrayBuffer][] = [];
      for (let at = 0; at < n; at += img.chunkSize) {
        entries.push([(off + at) / img.chunkSize, data.slice(at, at + img.chunkSize).buffer]);
      }
      return setMany(entries, img.store);
    });
    return nowMs() - t0;
  },

  async run(job: IoJob) {
    const img = opened();
    const io = requestFn(img, job, randomBytes(job.bs, job.seed));
    const offsets = jobOffsets(job);
    const warmup = await runClosedLoop({
      iodepth: job.iodepth,
      runtimeMs: job.warmupMs,
      nextOffset: offsets.warmup,
      io,
    });
    const latencyUs = Histogram.create();
    const run = await runClosedLoop({
      iodepth: job.iodepth,
      runtimeMs: job.runtimeMs,
      nextOffset: offsets.timed,
      io,
      latencyUs,
    });
    return sideResult(run, job.bs, latencyUs, warmup);
  },

  close() {
    image?.db.close();
    image = undefined;
  },
} satisfies CeilingWorkerApi;

expose(api);
