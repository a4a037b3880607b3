// Power cuts, counted: a browser profile on lazyfs, writes of self-describing sectors in batches,
// each batch followed by a flush, and at a random moment the power goes (the filesystem process
// is killed, then the browser). After each reboot every sector is read back and judged against
// what was acknowledged: a sector a completed flush covered must hold that write or a newer one,
// whole, and its own. Used by e2e/power-cut.spec.ts (a few cuts) and by longer campaigns.

import type { Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KillableBrowser } from './killable-browser.ts';
import { LazyFs } from './lazyfs.ts';

/** How the page writes: through WebAIO in a cache mode, or plain IndexedDB in some pattern. */
export type PowerCutPattern =
  | 'writeback'
  | 'writethrough'
  | 'unsafe'
  /** Plain IndexedDB, 32 KiB chunks read-modify-written on one connection (main thread): */
  | 'idb-batch-strict' // a batch's chunks all put in one strict transaction
  | 'idb-chunk-strict' // each chunk put in a strict transaction of its own, one after another
  | 'idb-chunk-strict-parallel' // the same, all at once, chunks spread over 16 stores
  | 'idb-chunk-strict-barrier' // idb-chunk-strict, then two strict one-put barrier transactions
  | 'idb-batch-strict-twice' // idb-batch-strict, the same transaction committed twice
  | 'idb-relaxed-flush'; // relaxed transactions, then a strict one-put flush transaction

export interface PowerCutOptions {
  baseURL: string;
  pattern: PowerCutPattern;
  cuts: number;
  seed?: number;
  /** Sectors of the region written (default 4096: 2 MiB). */
  sectors?: number;
  /** Writes per batch, each 1..maxSectors sectors at a random place. */
  batch?: number;
  maxSectors?: number;
  /** The cut comes this long (ms, drawn uniformly) after writing starts. */
  cutAfterMs?: [number, number];
  log?: (message: string) => void;
}

export interface CutResult {
  cut: number;
  /** Batches whose flush completed before the cut, and writes they held. */
  flushedBatches: number;
  flushedWrites: number;
  /** Sectors checked after the reboot, and what was wrong with them. */
  checked: number;
  lost: number;
  torn: number;
  misplaced: number;
  phantom: number;
  /** The first few problems, as sentences. */
  examples: string[];
}

export interface PowerCutResult {
  pattern: PowerCutPattern;
  cuts: CutResult[];
  /** Cuts after which at least one acknowledged write was missing or damaged. */
  cutsWithLoss: number;
}

const IMAGE = 'power';

/** The in-page writer: open (once) and write a batch, then flush. Runs in the browser. */
async function writeBatch(args: {
  image: string;
  pattern: PowerCutPattern;
  writes: [number, number, number][];
}): Promise<void> {
  const sector = (s: number, gen: number) => {
    const words = new Uint32Array(128);
    let x = (Math.imul(s, 0x9e3779b1) ^ Math.imul(gen, 0x85ebca6b)) >>> 0 || 1;
    for (let k = 4; k < 128; k++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[k] = x >>> 0;
    }
    words[0] = 0x50574331; // "PWC1"
    words[1] = s;
    words[2] = gen;
    let c = 0x811c9dc5;
    for (let k = 0; k < 128; k++) if (k !== 3) c = Math.imul(c ^ words[k], 0x01000193) >>> 0;
    words[3] = c;
    return new Uint8Array(words.buffer);
  };
  const dataOf = (first: number, n: number, gen: number) => {
    const data = new Uint8Array(n * 512);
    for (let k = 0; k < n; k++) data.set(sector(first + k, gen), k * 512);
    return data;
  };
  if (!args.pattern.startsWith('idb-')) {
    type Backend = Awaited<ReturnType<typeof window.webaio.openBlock>>;
    const w = window as unknown as { powerCutBackend?: Backend };
    const cache = args.pattern as 'writeback' | 'writethrough' | 'unsafe';
    w.powerCutBackend ??= await window.webaio.openBlock(args.image, { cache });
    const b = w.powerCutBackend;
    await Promise.all(args.writes.map(([f, n, g]) => b.pwrite(f * 512, dataOf(f, n, g))));
    await b.flush();
    return;
  }
  // Plain IndexedDB: database power-plain, 16 stores, chunk c in store c % 16 (only the
  // parallel pattern uses more than store 0).
  const stores = args.pattern === 'idb-chunk-strict-parallel' ? 16 : 1;
  const w = window as unknown as { powerCutDb?: IDBDatabase };
  w.powerCutDb ??= await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open('power-plain', 1);
    open.onupgradeneeded = () => {
      for (let k = 0; k < 16; k++) open.result.createObjectStore(`s${k}`);
      open.result.createObjectStore('meta');
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const db = w.powerCutDb;
  const CHUNK = 32768;
  const storeOf = (c: number) => `s${c % stores}`;
  const done = (tx: IDBTransaction) =>
    new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  // Read every chunk the batch touches, then apply the writes in memory.
  const touched = new Map<number, Uint8Array>();
  for (const [first, n] of args.writes) {
    const last = Math.floor(((first + n) * 512 - 1) / CHUNK);
    for (let c = Math.floor((first * 512) / CHUNK); c <= last; c++)
      touched.set(c, new Uint8Array(CHUNK));
  }
  const names = [...new Set([...touched.keys()].map(storeOf))];
  const rtx = db.transaction(names, 'readonly');
  for (const [c, bytes] of touched) {
    const r = rtx.objectStore(storeOf(c)).get(c);
    r.onsuccess = () => r.result && bytes.set(new Uint8Array(r.result as ArrayBuffer));
  }
  await done(rtx);
  for (const [first, n, gen] of args.writes) {
    const data = dataOf(first, n, gen);
    for (let k = 0; k < n; k++) {
      const byte = (first + k) * 512;
      touched
        .get(Math.floor(byte / CHUNK))
        ?.set(data.subarray(k * 512, k * 512 + 512), byte % CHUNK);
    }
  }
  const putOne = (c: number, bytes: Uint8Array, durability: 'strict' | 'relaxed') => {
    const tx = db.transaction(storeOf(c), 'readwrite', { durability });
    tx.objectStore(storeOf(c)).put(bytes.buffer, c);
    return done(tx);
  };
  switch (args.pattern) {
    case 'idb-batch-strict':
    case 'idb-batch-strict-twice':
      for (let copy = args.pattern === 'idb-batch-strict' ? 1 : 2; copy > 0; copy--) {
        const tx = db.transaction('s0', 'readwrite', { durability: 'strict' });
        for (const [c, bytes] of touched) tx.objectStore('s0').put(bytes.buffer, c);
        await done(tx);
      }
      break;
    case 'idb-chunk-strict':
      for (const [c, bytes] of touched) {
        await putOne(c, bytes, 'strict');
        (window as unknown as { acks?: string[] }).acks ??= [];
        (window as unknown as { acks: string[] }).acks.push(
          `${(performance.timeOrigin + performance.now()) / 1000} ack chunk ${c}`,
        );
      }
      break;
    case 'idb-chunk-strict-barrier': {
      for (const [c, bytes] of touched) await putOne(c, bytes, 'strict');
      for (let k = 0; k < 2; k++) {
        const tx = db.transaction('meta', 'readwrite', { durability: 'strict' });
        tx.objectStore('meta').put(Date.now(), 'barrier');
        await done(tx);
      }
      break;
    }
    case 'idb-chunk-strict-parallel':
      await Promise.all([...touched].map(([c, bytes]) => putOne(c, bytes, 'strict')));
      break;
    case 'idb-relaxed-flush': {
      await Promise.all([...touched].map(([c, bytes]) => putOne(c, bytes, 'relaxed')));
      const tx = db.transaction('meta', 'readwrite', { durability: 'strict' });
      tx.objectStore('meta').put(Date.now(), 'flush');
      await done(tx);
      break;
    }
  }
}

/** The in-page checker for plain patterns: the same judgement, chunks read from power-plain. */
async function readPlainGenerations(args: { sectors: number; stores: number }): Promise<number[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open('power-plain', 1);
    open.onupgradeneeded = () => {
      for (let k = 0; k < 16; k++) open.result.createObjectStore(`s${k}`);
      open.result.createObjectStore('meta');
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const CHUNK = 32768;
  const chunks = Math.ceil((args.sectors * 512) / CHUNK);
  const names = Array.from({ length: args.stores }, (_, k) => `s${k}`);
  const tx = db.transaction(names, 'readonly');
  const image = new Uint8Array(chunks * CHUNK);
  for (let c = 0; c < chunks; c++) {
    const r = tx.objectStore(`s${c % args.stores}`).get(c);
    r.onsuccess = () => r.result && image.set(new Uint8Array(r.result as ArrayBuffer), c * CHUNK);
  }
  await new Promise((resolve) => (tx.oncomplete = resolve));
  db.close();
  const words = new Uint32Array(image.buffer);
  const out: number[] = [];
  for (let s = 0; s < args.sectors; s++) {
    const w = words.subarray(s * 128, s * 128 + 128);
    if (w.every((v) => v === 0)) {
      out.push(0);
      continue;
    }
    let c = 0x811c9dc5;
    for (let j = 0; j < 128; j++) if (j !== 3) c = Math.imul(c ^ w[j], 0x01000193) >>> 0;
    if (w[0] !== 0x50574331 || w[3] !== c) out.push(-1);
    else if (w[1] !== s) out.push(-2);
    else out.push(w[2]);
  }
  return out;
}

/** The in-page checker: each sector's generation, 0 for zeros, -1 torn, -2 another's. */
async function readGenerations(args: { image: string; sectors: number }): Promise<number[]> {
  const b = await window.webaio.openBlock(args.image);
  const out: number[] = [];
  try {
    const step = 2048;
    for (let first = 0; first < args.sectors; first += step) {
      const n = Math.min(step, args.sectors - first);
      const data = await b.pread(first * 512, n * 512);
      const words = new Uint32Array(data.buffer, data.byteOffset, data.byteLength / 4);
      for (let k = 0; k < n; k++) {
        const w = words.subarray(k * 128, k * 128 + 128);
        if (w.every((v) => v === 0)) {
          out.push(0);
          continue;
        }
        let c = 0x811c9dc5;
        for (let j = 0; j < 128; j++) if (j !== 3) c = Math.imul(c ^ w[j], 0x01000193) >>> 0;
        if (w[0] !== 0x50574331 || w[3] !== c) out.push(-1);
        else if (w[1] !== first + k) out.push(-2);
        else out.push(w[2]);
      }
    }
  } finally {
    await b.close();
  }
  return out;
}

function rng(seed: number) {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Run `cuts` power cuts on one profile; judge every sector after each reboot. */
export async function runPowerCuts(o: PowerCutOptions): Promise<PowerCutResult> {
  const sectors = o.sectors ?? 4096;
  const batch = o.batch ?? 8;
  const maxSectors = o.maxSectors ?? 64;
  const [cutMin, cutMax] = o.cutAfterMs ?? [300, 1500];
  const log = o.log ?? (() => undefined);
  const int = rng(o.seed ?? 1);
  const dir = mkdtempSync(join(process.env.WEBAIO_POWER_TMP ?? tmpdir(), 'webaio-power-'));
  const fs = new LazyFs(dir);
  const browser = new KillableBrowser(join(fs.mountpoint, 'profile'), o.baseURL);
  /** The floor of each sector: a generation it must hold at least (acknowledged, or seen). */
  const floor = new Int32Array(sectors);
  /** Every generation ever written to each sector (a survivor must be one of them). */
  const written = Array.from({ length: sectors }, () => new Set<number>([0]));
  let gen = 0;
  const results: CutResult[] = [];
  try {
    await fs.start();
    let page = await browser.open();
    await page.evaluate((n) => window.webaio.images.create('power', n * 512), sectors);
    for (let cut = 1; cut <= o.cuts; cut++) {
      // Write batches until the power goes.
      let flushedBatches = 0;
      let flushedWrites = 0;
      let running = true;
      let lastAcked = 0;
      const writer = (async (p: Page) => {
        while (running) {
          // A batch's writes are in flight together, so they must not overlap: which of two
          // overlapping ones lands last is anybody's guess, on a real disk too.
          const writes: [number, number, number][] = [];
          const taken = new Uint8Array(sectors);
          for (let k = 0; k < batch; k++) {
            const n = 1 + int(maxSectors);
            const first = int(sectors - n + 1);
            if (taken.subarray(first, first + n).some(Boolean)) continue;
            taken.fill(1, first, first + n);
            writes.push([first, n, ++gen]);
            for (let s = first; s < first + n; s++) written[s].add(gen);
          }
          await p.evaluate(writeBatch, { image: IMAGE, pattern: o.pattern, writes });
          // Acknowledged: this batch's flush completed before anything else happened.
          for (const [first, n, g] of writes) {
            for (let s = first; s < first + n; s++) floor[s] = Math.max(floor[s], g);
          }
          flushedBatches++;
          flushedWrites += writes.length;
          lastAcked = gen;
        }
      })(page).catch(() => undefined);
      await new Promise((r) => setTimeout(r, cutMin + int(cutMax - cutMin + 1)));
      running = false;
      if (process.env.WEBAIO_POWER_DEBUG) {
        const acks = await page
          .evaluate(() => (window as unknown as { acks?: string[] }).acks?.slice(-40) ?? [])
          .catch(() => []);
        log(`ACKS\n${acks.join('\n')}`);
      }
      await fs.cut();
      await browser.kill();
      await writer;
      // Reboot and judge.
      if (process.env.WEBAIO_POWER_DEBUG) {
        const { execSync } = await import('node:child_process');
        log(
          execSync(`find ${fs.backing} -path '*IndexedDB*' -type f -printf '%f %s\\n' | sort`, {
            encoding: 'utf8',
          }),
        );
      }
      await fs.start();
      page = await browser.open();
      const gens = o.pattern.startsWith('idb-')
        ? await page.evaluate(readPlainGenerations, {
            sectors,
            stores: o.pattern === 'idb-chunk-strict-parallel' ? 16 : 1,
          })
        : await page.evaluate(readGenerations, { image: IMAGE, sectors });
      const floorBefore = floor.slice();
      const r: CutResult = {
        cut,
        flushedBatches,
        flushedWrites,
        checked: sectors,
        lost: 0,
        torn: 0,
        misplaced: 0,
        phantom: 0,
        examples: [],
      };
      gens.forEach((g, s) => {
        let why: string | undefined;
        if (g === -1) {
          r.torn++;
          why = `sector ${s} is torn`;
        } else if (g === -2) {
          r.misplaced++;
          why = `sector ${s} holds another sector's data`;
        } else if (!written[s].has(g)) {
          r.phantom++;
          why = `sector ${s} holds generation ${g}, never written there`;
        } else {
          if (g < floor[s]) {
            r.lost++;
            why = `sector ${s} holds generation ${g}, older than acknowledged ${floor[s]}`;
          }
          // What it holds now is what later cuts must keep (a loss is counted once).
          floor[s] = g;
        }
        if (why && r.examples.length < 5) r.examples.push(why);
      });
      if (process.env.WEBAIO_POWER_DEBUG) {
        const lostGens = new Map<number, number>();
        const keptGens = new Map<number, number>();
        gens.forEach((g, s) => {
          const want = floorBefore[s];
          if (g >= 0 && g < want) lostGens.set(want, (lostGens.get(want) ?? 0) + 1);
          else if (g >= want && want > 0) keptGens.set(want, (keptGens.get(want) ?? 0) + 1);
        });
        const batchOf = (g: number) => Math.ceil(g / batch);
        log(
          `lost writes (acked gen: sectors): ${[...lostGens].map(([g, n]) => `${g}(b${batchOf(g)}):${n}`).join(' ')}`,
        );
        const lostBatches = new Set([...lostGens.keys()].map(batchOf));
        log(
          `  same batches, kept: ${[...keptGens]
            .filter(([g]) => lostBatches.has(batchOf(g)))
            .map(([g, n]) => `${g}:${n}`)
            .join(' ')}; last acked gen ${lastAcked}`,
        );
      }
      results.push(r);
      const bad = r.lost + r.torn + r.misplaced + r.phantom;
      log(
        `${o.pattern} cut ${cut}/${o.cuts}: ${flushedBatches} batches flushed, ` +
          `${bad ? `${bad} bad sectors: ${r.examples.join('; ')}` : 'all acknowledged data intact'}`,
      );
    }
  } finally {
    await browser.kill().catch(() => undefined);
    await fs.cut().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    pattern: o.pattern,
    cuts: results,
    cutsWithLoss: results.filter((r) => r.lost + r.torn + r.misplaced + r.phantom > 0).length,
  };
}
