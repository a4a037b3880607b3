// The benchmark's baseline: the emulator's work done the plain way, idb-keyval calls on an image's
// chunk store from one dedicated worker, with no pool, no shared memory and no main loop: one
// request per transaction (`ceiling`), or up to `batch` of them (`ceiling-batched`). A read is
// get(), a whole-chunk write set(), a partial one update().

import { expose } from 'comlink';
import { getMany, promisifyRequest, setMany, type UseStore } from 'idb-keyval';
import type { CeilingWorkerApi, IoJob } from '../shared/bench-contracts.ts';
import {
  extentsOf,
  groupRequests,
  jobOffsets,
  type NextTurn,
  PREFILL_CHUNKS,
  PREFILL_INFLIGHT,
  randomBytes,
  runClosedLoop,
  runConcurrently,
  sideResult,
} from '../shared/bench-loop.ts';
import { nowMs } from '../../app/shared/sync/clock.ts';
import { Histogram } from '../../app/shared/stats/histogram.ts';
import { STORE_CHUNKS } from '../../app/shared/block/image-format.ts';
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

/**
 * One IndexedDB transaction doing the requests of `job.bs` bytes at `byteOffsets`, as idb-keyval
 * calls; `data` is every write's bytes. A read is get() (getMany() of its chunks), a whole-chunk
 * write set() (setMany()), a partial one a read-modify-write: each chunk read once, every request
 * on it applied in order, put once — as idb-keyval's update(), for many chunks (and as the
 * emulator's raw driver plans a batch). With one offset, exactly the one-request ceiling.
 */
function transactionFn(
  img: Image,
  job: IoJob,
  data: Uint8Array,
): (byteOffsets: readonly number[]) => Promise<void> {
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

  if (job.op === 'read') {
    return async (byteOffsets) => {
      const keys = [...new Set(byteOffsets.flatMap(indices))];
      const values = await getMany(keys, store);
      const byChunk = new Map(keys.map((chunkIndex, k) => [chunkIndex, values[k] as unknown]));
      // Each request's bytes copied out of its chunks, as a read into guest memory would.
      for (const byteOffset of byteOffsets) {
        indices(byteOffset).forEach((chunkIndex, k) => {
          const chunk = chunkOf(img, byChunk.get(chunkIndex), chunkIndex);
          const at = bs < chunkSize ? byteOffset % chunkSize : 0;
          const n = Math.min(bs, chunkSize);
          if (chunk) dst.set(chunk.subarray(at, at + n), k * chunkSize);
          else dst.fill(0, k * chunkSize, k * chunkSize + n);
        });
      }
    };
  }
  if (bs < chunkSize) {
    return (byteOffsets) =>
      store('readwrite', (s) => {
        const patches = new Map<number, number[]>();
        for (const byteOffset of byteOffsets) {
          const chunkIndex = Math.floor(byteOffset / chunkSize);
          patches.set(chunkIndex, [...(patches.get(chunkIndex) ?? []), byteOffset % chunkSize]);
        }
        for (const [chunkIndex, ats] of patches) {
          const req = s.get(chunkIndex);
          req.onsuccess = () => {
            const chunk = chunkOf(img, req.result, chunkIndex) ?? new Uint8Array(chunkSize);
            for (const at of ats) chunk.set(data, at);
            s.put(chunk.buffer, chunkIndex);
          };
        }
        return promisifyRequest(s.transaction);
      });
  }
  // A fresh copy per write, as the emulator copies out of shared memory.
  return (byteOffsets) =>
    setMany(
      byteOffsets.flatMap((byteOffset) =>
        indices(byteOffset).map((chunkIndex, k): [number, ArrayBuffer] => [
          chunkIndex,
          data.slice(k * chunkSize, k * chunkSize + chunkSize).buffer,
        ]),
      ),
      store,
    );
}

/** A macrotask without a timer's clamping: a MessageChannel's message; close() ends it. */
function messageTurns(): { nextTurn: NextTurn; close(): void } {
  const channel = new MessageChannel();
  const queued: (() => void)[] = [];
  channel.port1.onmessage = () => queued.shift()?.();
  return {
    nextTurn: (fn) => {
      queued.push(fn);
      channel.port2.postMessage(null);
    },
    close: () => channel.port1.close(),
  };
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
    const turns = messageTurns();
    const g = groupRequests(
      job.batch,
      transactionFn(img, job, randomBytes(job.bs, job.seed)),
      turns.nextTurn,
    );
    try {
      const offsets = jobOffsets(job);
      const warmup = await runClosedLoop({
        iodepth: job.iodepth,
        runtimeMs: job.warmupMs,
        nextOffset: offsets.warmup,
        io: g.io,
      });
      const before = g.transactions();
      const latencyUs = Histogram.create();
      const run = await runClosedLoop({
        iodepth: job.iodepth,
        runtimeMs: job.runtimeMs,
        nextOffset: offsets.timed,
        io: g.io,
        latencyUs,
      });
      return {
        ...sideResult(run, job.bs, latencyUs, warmup),
        transactions: g.transactions() - before,
      };
    } finally {
      turns.close();
    }
  },

  close() {
    image?.db.close();
    image = undefined;
  },
} satisfies CeilingWorkerApi;

expose(api);
