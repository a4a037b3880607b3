// The in-page half of the crash and power-cut runs (scripts/power-cut.ts): write one batch of
// sectors and flush, through WebAIO or through plain IndexedDB in one of the patterns the
// campaign compares; and read the region back as bytes. installCutPage runs in the browser as an
// init script (so it imports nothing at run time) and leaves window.cutPage for page.evaluate.

/** WebAIO in a cache mode, or plain IndexedDB (32 KiB chunks, one connection) in a pattern. */
export type CutPattern =
  | 'writeback'
  | 'writethrough'
  | 'unsafe'
  | 'idb-batch-strict' // a batch's chunks all put in one strict transaction
  | 'idb-batch-strict-twice' // the same transaction committed twice, one after the other
  | 'idb-chunk-strict' // each chunk in a strict transaction of its own, one after another
  | 'idb-chunk-strict-parallel' // the same, all at once, the chunks spread over 16 stores
  | 'idb-relaxed-flush'; // relaxed transactions, then a strict one-put "flush" transaction

export const CUT_PATTERNS: readonly CutPattern[] = [
  'writeback',
  'writethrough',
  'unsafe',
  'idb-batch-strict',
  'idb-batch-strict-twice',
  'idb-chunk-strict',
  'idb-chunk-strict-parallel',
  'idb-relaxed-flush',
];

export interface BatchArgs {
  pattern: CutPattern;
  /** Non-overlapping writes: byte offset and data, whole sectors. */
  writes: [number, Uint8Array][];
}

export interface CutPage {
  /** Write a batch, all its writes in flight at once, then flush; resolves when the flush did. */
  writeBatch(args: BatchArgs): Promise<void>;
  /** The first `bytes` of the region as the pattern stores it (a fresh page after a reboot). */
  readRegion(args: { pattern: CutPattern; bytes: number }): Promise<Uint8Array>;
}

declare global {
  interface Window {
    cutPage: CutPage;
  }
}

/** Runs in the page before its scripts: defines window.cutPage. */
export function installCutPage(): void {
  const IMAGE = 'power';
  const CHUNK = 32768;
  type Backend = Awaited<ReturnType<typeof window.webaio.openBlock>>;
  let backend: Backend | undefined;
  let plain: Promise<IDBDatabase> | undefined;
  const storesOf = (pattern: CutPattern) => (pattern === 'idb-chunk-strict-parallel' ? 16 : 1);
  /** Database power-plain: 16 stores, chunk c in store c % stores; a meta store for flushes. */
  const plainDb = () =>
    (plain ??= new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('power-plain', 1);
      open.onupgradeneeded = () => {
        for (let k = 0; k < 16; k++) open.result.createObjectStore(`s${k}`);
        open.result.createObjectStore('meta');
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    }));
  const done = (tx: IDBTransaction) =>
    new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });

  async function writeBatch({ pattern, writes }: BatchArgs): Promise<void> {
    if (!pattern.startsWith('idb-')) {
      const cache = pattern as 'writeback' | 'writethrough' | 'unsafe';
      backend ??= await window.webaio.openBlock(IMAGE, { cache });
      const b = backend;
      await Promise.all(writes.map(([offset, data]) => b.pwrite(offset, data)));
      await b.flush();
      return;
    }
    const db = await plainDb();
    const stores = storesOf(pattern);
    const storeOf = (c: number) => `s${c % stores}`;
    // Read every chunk the batch touches, then apply the writes to them in memory.
    const touched = new Map<number, Uint8Array>();
    for (const [offset, data] of writes) {
      for (let c = Math.floor(offset / CHUNK); c * CHUNK < offset + data.byteLength; c++) {
        touched.set(c, new Uint8Array(CHUNK));
      }
    }
    const rtx = db.transaction([...new Set([...touched.keys()].map(storeOf))], 'readonly');
    for (const [c, bytes] of touched) {
      const r = rtx.objectStore(storeOf(c)).get(c);
      r.onsuccess = () => r.result && bytes.set(new Uint8Array(r.result as ArrayBuffer));
    }
    await done(rtx);
    for (const [offset, data] of writes) {
      for (let at = 0; at < data.byteLength;) {
        const into = (offset + at) % CHUNK;
        const n = Math.min(CHUNK - into, data.byteLength - at);
        touched.get(Math.floor((offset + at) / CHUNK))?.set(data.subarray(at, at + n), into);
        at += n;
      }
    }
    const put = (durability: IDBTransactionDurability, chunks: number[]) => {
      const names = [...new Set(chunks.map(storeOf))];
      const tx = db.transaction(names, 'readwrite', { durability });
      for (const c of chunks) tx.objectStore(storeOf(c)).put(touched.get(c)?.buffer, c);
      return done(tx);
    };
    const all = [...touched.keys()];
    switch (pattern) {
      case 'idb-batch-strict':
        await put('strict', all);
        break;
      case 'idb-batch-strict-twice':
        await put('strict', all);
        await put('strict', all);
        break;
      case 'idb-chunk-strict':
        for (const c of all) await put('strict', [c]);
        break;
      case 'idb-chunk-strict-parallel':
        await Promise.all(all.map((c) => put('strict', [c])));
        break;
      case 'idb-relaxed-flush': {
        await Promise.all(all.map((c) => put('relaxed', [c])));
        const tx = db.transaction('meta', 'readwrite', { durability: 'strict' });
        tx.objectStore('meta').put(Date.now(), 'flush');
        await done(tx);
        break;
      }
    }
  }

  async function readRegion({
    pattern,
    bytes,
  }: {
    pattern: CutPattern;
    bytes: number;
  }): Promise<Uint8Array> {
    const out = new Uint8Array(bytes);
    if (!pattern.startsWith('idb-')) {
      const b = await window.webaio.openBlock(IMAGE);
      try {
        out.set(await b.pread(0, bytes));
      } finally {
        await b.close();
      }
      return out;
    }
    const db = await plainDb();
    const stores = storesOf(pattern);
    const tx = db.transaction(
      Array.from({ length: stores }, (_, k) => `s${k}`),
      'readonly',
    );
    for (let c = 0; c * CHUNK < bytes; c++) {
      const r = tx.objectStore(`s${c % stores}`).get(c);
      r.onsuccess = () => {
        const v = r.result as ArrayBuffer | undefined;
        if (v) out.set(new Uint8Array(v).subarray(0, bytes - c * CHUNK), c * CHUNK);
      };
    }
    await done(tx);
    return out;
  }

  window.cutPage = { writeBatch, readRegion };
}
