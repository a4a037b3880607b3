// The shape scenario's worker: plain IndexedDB calls from a plain dedicated worker (as WebAIO's
// pool workers are), on a setup of one store, K stores of one database, K databases or K storage
// buckets; chunk c lives in shard c % K. Closed loops of transactions of `batch` gets, puts or
// read-modify-writes, each transaction on one shard.

import { expose } from 'comlink';
import { promisifyRequest } from 'idb-keyval';
import {
  PREFILL_CHUNKS,
  PREFILL_INFLIGHT,
  randomBytes,
  runClosedLoop,
  runConcurrently,
} from '../shared/bench-loop.ts';
import type {
  ShapeDbSpec,
  ShapeJob,
  ShapeProbe,
  ShapeWorkerApi,
  ShapeWorkerRun,
} from '../shared/shape-contract.ts';
import { nowMs } from '../../app/shared/clock.ts';
import { Histogram } from '../../app/shared/histogram.ts';
import { Rng } from '../../app/shared/rng.ts';
import { committed } from '../../workers/block/image-db.ts';

// The Storage Buckets API (WICG), which TypeScript's WebWorker lib does not declare yet.
interface StorageBucket {
  readonly name: string;
  readonly indexedDB: IDBFactory;
}
interface StorageBucketManager {
  open(name: string): Promise<StorageBucket>;
  keys(): Promise<string[]>;
  delete(name: string): Promise<void>;
}
const storageBuckets = (): StorageBucketManager | undefined =>
  (navigator as unknown as { storageBuckets?: StorageBucketManager }).storageBuckets;

function bucketManager(): StorageBucketManager {
  const m = storageBuckets();
  if (!m) throw new Error('navigator.storageBuckets is undefined in this worker');
  return m;
}

/** Where a chunk's transaction goes: a connection and a store in it. */
interface Shard {
  db: IDBDatabase;
  store: string;
}

interface Opened {
  spec: ShapeDbSpec;
  dbs: IDBDatabase[];
  shards: Shard[];
}

/** This worker's connections, by setup name. */
const opened = new Map<string, Opened>();

const storeName = (i: number) => `chunks-${i}`;
const bucketName = (spec: ShapeDbSpec, i: number) => `${spec.name}-${i}`;

/** The databases of a setup: [factory, database name, its stores]. */
async function databasesOf(spec: ShapeDbSpec): Promise<[IDBFactory, string, string[]][]> {
  const { kind, k } = spec.layout;
  const ks = Array.from({ length: k }, (_, i) => i);
  if (kind === 'stores') return [[indexedDB, spec.name, ks.map(storeName)]];
  if (kind === 'dbs') return ks.map((i) => [indexedDB, `${spec.name}-${i}`, [storeName(0)]]);
  const m = bucketManager();
  const buckets = await Promise.all(ks.map((i) => m.open(bucketName(spec, i))));
  return buckets.map((b) => [b.indexedDB, spec.name, [storeName(0)]]);
}

/** Open a database; with `create` make its stores, without it refuse to create one. */
async function openDb(factory: IDBFactory, name: string, stores: string[], create: boolean) {
  const request = factory.open(name, 1);
  request.onupgradeneeded = () => {
    if (!create) {
      request.transaction?.abort();
      return;
    }
    for (const s of stores) request.result.createObjectStore(s);
  };
  try {
    const db = await promisifyRequest(request);
    // A deletion (destroy, sweep) must not wait for us.
    db.onversionchange = () => db.close();
    return db;
  } catch (e) {
    throw new Error(`database "${name}" cannot be opened${create ? ' or created' : ''}: ${e}`);
  }
}

async function openSetup(spec: ShapeDbSpec, create: boolean): Promise<Opened> {
  const found = opened.get(spec.name);
  if (found) return found;
  const databases = await databasesOf(spec);
  const dbs = await Promise.all(databases.map(([f, name, s]) => openDb(f, name, s, create)));
  const shards = Array.from({ length: spec.layout.k }, (_, i) =>
    spec.layout.kind === 'stores'
      ? { db: dbs[0], store: storeName(i) }
      : { db: dbs[i], store: storeName(0) },
  );
  const o = { spec, dbs, shards };
  opened.set(spec.name, o);
  return o;
}

/** A value to store under `key`: a fresh copy (as the emulator copies out of shared memory),
 *  its first words stamped so that no two values are alike. */
function valueFor(spec: ShapeDbSpec, data: Uint8Array, key: number, n: number): ArrayBuffer | Blob {
  const bytes = data.slice();
  const words = new Uint32Array(bytes.buffer, 0, 2);
  words[0] = key;
  words[1] = n;
  return spec.value === 'blob' ? new Blob([bytes]) : bytes.buffer;
}

function checkedValue(spec: ShapeDbSpec, value: unknown, key: number): ArrayBuffer | Blob {
  const size =
    value instanceof ArrayBuffer ? value.byteLength : value instanceof Blob ? value.size : -1;
  const kind = spec.value === 'blob' ? Blob : ArrayBuffer;
  if (!(value instanceof kind) || size !== spec.valueBytes) {
    throw new Error(
      `setup "${spec.name}": chunk ${key} holds ${Object.prototype.toString.call(value)} of ` +
        `${size} bytes, not a${spec.value === 'blob' ? ' Blob' : 'n ArrayBuffer'} of ${spec.valueBytes}`,
    );
  }
  return value;
}

/** One transaction of `job.batch` ops on `shard`; settles once it has committed (and, for Blob
 *  values, once every value has been read back). */
function transaction(
  o: Opened,
  job: ShapeJob,
  shard: number,
  rng: Rng,
  data: Uint8Array,
  dst: Uint8Array,
  serial: { n: number },
): Promise<void> {
  const { spec } = o;
  const { k } = spec.layout;
  const perShard = spec.chunks / k;
  const s = o.shards[shard];
  const tx =
    job.op === 'get'
      ? s.db.transaction(s.store, 'readonly')
      : s.db.transaction(s.store, 'readwrite', { durability: job.durability });
  const done = committed(tx);
  const store = tx.objectStore(s.store);
  const blobReads: Promise<void>[] = [];
  let failure: Error | undefined;
  const fail = (e: unknown) => {
    failure ??= e instanceof Error ? e : new Error(String(e));
    tx.abort();
  };
  // A partial write's new bytes: a 4 KiB piece (or the whole value if smaller) at an aligned spot.
  const patchBytes = Math.min(4096, spec.valueBytes);
  for (let i = 0; i < job.batch; i++) {
    const key = shard + k * rng.int(perShard);
    if (job.op === 'put') {
      store.put(valueFor(spec, data, key, serial.n++), key);
      continue;
    }
    const get = store.get(key);
    get.onsuccess = () => {
      try {
        const value = checkedValue(spec, get.result, key);
        if (job.op === 'rmw') {
          const at = rng.int(spec.valueBytes / patchBytes) * patchBytes;
          new Uint8Array(value as ArrayBuffer).set(data.subarray(0, patchBytes), at);
          store.put(value, key);
        } else if (value instanceof Blob) {
          // Read back after the transaction (it cannot wait for a promise): part of the get.
          blobReads.push(value.arrayBuffer().then((b) => dst.set(new Uint8Array(b))));
        } else {
          dst.set(new Uint8Array(value));
        }
      } catch (e) {
        fail(e);
      }
    };
  }
  return done.then(
    () => Promise.all(blobReads).then(() => undefined),
    (e: unknown) => {
      throw failure ?? e;
    },
  );
}

const api = {
  async probe(name: string): Promise<ShapeProbe> {
    const m = storageBuckets();
    if (!m) {
      return {
        storageBuckets: false,
        bucketError: 'navigator.storageBuckets is undefined in a dedicated worker',
      };
    }
    try {
      const bucket = await m.open(name);
      const db = await openDb(bucket.indexedDB, 'probe', ['probe'], true);
      const tx = db.transaction('probe', 'readwrite');
      tx.objectStore('probe').put(new ArrayBuffer(8), 0);
      await committed(tx);
      db.close();
      await m.delete(name);
      return { storageBuckets: true, bucketError: null };
    } catch (e) {
      return { storageBuckets: true, bucketError: String(e) };
    }
  },

  async sweep(prefix: string) {
    for (const { name } of await indexedDB.databases()) {
      if (name?.startsWith(prefix)) await promisifyRequest(indexedDB.deleteDatabase(name));
    }
    const m = storageBuckets();
    if (!m) return;
    for (const name of await m.keys()) if (name.startsWith(prefix)) await m.delete(name);
  },

  async create(spec: ShapeDbSpec, seed: number) {
    const t0 = nowMs();
    const o = await openSetup(spec, true);
    const { k } = spec.layout;
    const data = randomBytes(spec.valueBytes, seed);
    // Per shard, runs of PREFILL_CHUNKS keys, each run one relaxed transaction.
    const runs: [number, number[]][] = [];
    for (let shard = 0; shard < k; shard++) {
      for (let first = shard; first < spec.chunks; first += k * PREFILL_CHUNKS) {
        const keys: number[] = [];
        for (let c = first; c < spec.chunks && keys.length < PREFILL_CHUNKS; c += k) keys.push(c);
        runs.push([shard, keys]);
      }
    }
    await runConcurrently(runs, PREFILL_INFLIGHT, ([shard, keys]) => {
      const s = o.shards[shard];
      const tx = s.db.transaction(s.store, 'readwrite', { durability: 'relaxed' });
      const store = tx.objectStore(s.store);
      for (const key of keys) store.put(valueFor(spec, data, key, 0), key);
      return committed(tx);
    });
    return nowMs() - t0;
  },

  async run(job: ShapeJob): Promise<ShapeWorkerRun> {
    if (job.op === 'rmw' && job.spec.value === 'blob') {
      throw new Error('a read-modify-write of a Blob value cannot stay in one transaction');
    }
    const o = await openSetup(job.spec, false);
    const rng = new Rng(job.seed);
    const data = randomBytes(job.spec.valueBytes, job.seed);
    const dst = new Uint8Array(job.spec.valueBytes);
    const serial = { n: 1 };
    // The loop's "offset" is the shard of the next transaction.
    const loop = (runtimeMs: number, latencyUs?: Histogram) =>
      runClosedLoop({
        iodepth: job.inflight,
        runtimeMs,
        nextOffset: () => rng.int(job.spec.layout.k),
        io: (shard) => transaction(o, job, shard, rng, data, dst, serial),
        latencyUs,
      });
    const warmup = await loop(job.warmupMs);
    const latency = Histogram.create();
    const run = await loop(job.runtimeMs, latency);
    return {
      txs: run.ops,
      ops: run.ops * job.batch,
      bytes: run.ops * job.batch * job.spec.valueBytes,
      elapsedMs: run.elapsedMs,
      latencyCounts: latency.counts,
      latencyStats: latency.stats,
      warmupTxs: warmup.ops,
    };
  },

  close() {
    for (const o of opened.values()) for (const db of o.dbs) db.close();
    opened.clear();
  },

  async destroy(spec: ShapeDbSpec) {
    const o = opened.get(spec.name);
    if (o) for (const db of o.dbs) db.close();
    opened.delete(spec.name);
    const { kind, k } = spec.layout;
    const ks = Array.from({ length: k }, (_, i) => i);
    if (kind === 'buckets') {
      const m = bucketManager();
      for (const i of ks) await m.delete(bucketName(spec, i));
      return;
    }
    const names = kind === 'stores' ? [spec.name] : ks.map((i) => `${spec.name}-${i}`);
    for (const name of names) await promisifyRequest(indexedDB.deleteDatabase(name));
  },
} satisfies ShapeWorkerApi;

expose(api);
