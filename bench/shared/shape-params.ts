// The `shape` scenario's parameters, checks and cells (issue 11, "find the shape of the limit"):
// plain IndexedDB from plain workers — mixed reads and writes under several store layouts, value
// sizes, ArrayBuffer against Blob values, strict against relaxed durability. No DOM here:
// `npm run bench` checks its command line with these same functions.

import { ParamChecker, WARMUP_MS_MAX } from './check.ts';

export const SHAPE_PARTS = ['mixed', 'chunk-size', 'blob', 'durability'] as const;
export type ShapePart = (typeof SHAPE_PARTS)[number];

/** Where chunk c lives: store c % k of one database, database c % k, or bucket c % k. */
export const LAYOUT_KINDS = ['stores', 'dbs', 'buckets'] as const;
export type LayoutKind = (typeof LAYOUT_KINDS)[number];
export interface ShapeLayout {
  kind: LayoutKind;
  k: number;
}
export const LAYOUT_K_MAX = 64;

export const SHAPE_VALUES = ['buffer', 'blob'] as const;
/** A chunk's value: an ArrayBuffer, or a Blob (read back with arrayBuffer()). */
export type ShapeValue = (typeof SHAPE_VALUES)[number];
export const SHAPE_DURABILITIES = ['relaxed', 'strict'] as const;
export type ShapeDurability = (typeof SHAPE_DURABILITIES)[number];
/** A writer's transaction: puts of whole values, or a get then a put of each (a partial write). */
export const WRITE_OPS = ['put', 'rmw'] as const;
export type WriteOp = (typeof WRITE_OPS)[number];
/** Which mixed-part layouts also run readers alone and writers alone (the baselines). */
export const ALONE_MODES = ['first', 'all', 'none'] as const;
export type AloneMode = (typeof ALONE_MODES)[number];

export interface ShapeParams {
  parts: ShapePart[];
  /** Runs of every cell, interleaved cell by cell; figures are medians with min–max. */
  trials: number;
  /** Timed part of each cell, after an untimed warm-up of the same load. */
  runtimeMs: number;
  warmupMs: number;
  /** Transactions each worker keeps in flight. */
  inflight: number;
  /** mixed: layouts, as "stores-K", "dbs-K" or "buckets-K" ("stores-1": WebAIO's one store). */
  layouts: string[];
  /** mixed: workers writing and workers reading, all at once. */
  writers: number;
  readers: number;
  writeOp: WriteOp;
  alone: AloneMode;
  /** mixed and durability: ops (chunks) per transaction, one cell each. */
  batches: number[];
  /** mixed and durability: bytes per value. */
  chunkSize: number;
  /** Values stored (prefilled, untimed) per database setup: regionBytes / value size of them. */
  regionBytes: number;
  /** chunk-size, blob, durability: workers, all doing the same operation. */
  workers: number;
  /** chunk-size and blob: ops per transaction. */
  batch: number;
  /** chunk-size: value sizes, one database each. */
  sizes: number[];
  /** blob: value sizes, each as ArrayBuffer and as Blob. */
  blobSizes: number[];
  seed: number;
}

export const SHAPE_DEFAULTS: Readonly<ShapeParams> = {
  parts: [...SHAPE_PARTS],
  trials: 3,
  runtimeMs: 1000,
  warmupMs: 200,
  inflight: 2,
  layouts: ['stores-1', 'stores-4', 'stores-16', 'dbs-4', 'buckets-4'],
  writers: 2,
  readers: 2,
  writeOp: 'rmw',
  alone: 'all',
  batches: [1, 32],
  chunkSize: 32768,
  regionBytes: 32 << 20,
  workers: 2,
  batch: 8,
  sizes: [4096, 16384, 32768, 65536, 131072, 262144],
  blobSizes: [32768, 262144],
  seed: 1,
};

export const VALUE_BYTES_MIN = 1024;
export const VALUE_BYTES_MAX = 1 << 20;
export const BATCH_MAX = 256;
export const SHAPE_WORKERS_MAX = 8;

/** "stores-4" → { kind: 'stores', k: 4 }; throws a plain Error naming the text. */
export function parseLayout(text: string): ShapeLayout {
  const m = /^(stores|dbs|buckets)-(\d+)$/.exec(text);
  const k = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(k) || k < 1 || k > LAYOUT_K_MAX) {
    throw new Error(
      `layout ${JSON.stringify(text)} is not stores-K, dbs-K or buckets-K with K from 1 to ` +
        `${LAYOUT_K_MAX}`,
    );
  }
  return { kind: m[1] as LayoutKind, k };
}

export const layoutName = (l: ShapeLayout) => `${l.kind}-${l.k}`;

export function checkShapeParams(input: unknown = {}): ShapeParams {
  const c = new ParamChecker('shape');
  const p = c.merge(SHAPE_DEFAULTS, input);
  const oneOf = <T extends string>(name: string, v: unknown, known: readonly T[]): T => {
    if (!known.includes(v as T)) {
      c.fail(`${name} ${JSON.stringify(v)} is not one of ${known.join(', ')}`);
    }
    return v as T;
  };
  const layouts = c.list('layouts', p.layouts, (v) => {
    try {
      return layoutName(parseLayout(String(v)));
    } catch (e) {
      return c.fail((e as Error).message);
    }
  });
  const chunkSize = c.pow2('chunkSize', p.chunkSize, VALUE_BYTES_MIN, VALUE_BYTES_MAX);
  const sizes = c.list('sizes', p.sizes, (v) =>
    c.pow2('sizes', v, VALUE_BYTES_MIN, VALUE_BYTES_MAX),
  );
  const blobSizes = c.list('blobSizes', p.blobSizes, (v) =>
    c.pow2('blobSizes', v, VALUE_BYTES_MIN, VALUE_BYTES_MAX),
  );
  const regionBytes = c.int('regionBytes', p.regionBytes, 1 << 20, 256 << 20);
  const parts = c.list('parts', p.parts, (v) => oneOf('part', v, SHAPE_PARTS));
  // Every setup must hold a whole number of values, the same number in each of its stores.
  const used = [
    ...(parts.includes('mixed') || parts.includes('durability') ? [chunkSize] : []),
    ...(parts.includes('chunk-size') ? sizes : []),
    ...(parts.includes('blob') ? blobSizes : []),
  ];
  const kMax = parts.includes('mixed') ? Math.max(...layouts.map((l) => parseLayout(l).k)) : 1;
  for (const size of used) {
    if (regionBytes % size !== 0 || (regionBytes / size) % kMax !== 0) {
      c.fail(
        `regionBytes ${regionBytes} must hold a whole number of ${size}-byte values, ` +
          `a multiple of ${kMax} (the most stores of a layout)`,
      );
    }
  }
  return {
    parts,
    trials: c.int('trials', p.trials, 1, 50),
    runtimeMs: c.runtimeMs(p.runtimeMs),
    warmupMs: c.int('warmupMs', p.warmupMs, 0, WARMUP_MS_MAX),
    inflight: c.int('inflight', p.inflight, 1, 32),
    layouts,
    writers: c.int('writers', p.writers, 1, SHAPE_WORKERS_MAX),
    readers: c.int('readers', p.readers, 1, SHAPE_WORKERS_MAX),
    writeOp: oneOf('writeOp', p.writeOp, WRITE_OPS),
    alone: oneOf('alone', p.alone, ALONE_MODES),
    batches: c.list('batches', p.batches, (v) => c.int('batches', v, 1, BATCH_MAX)),
    chunkSize,
    regionBytes,
    workers: c.int('workers', p.workers, 1, SHAPE_WORKERS_MAX),
    batch: c.int('batch', p.batch, 1, BATCH_MAX),
    sizes,
    blobSizes,
    seed: c.int('seed', p.seed, 0, 2 ** 31 - 1),
  };
}

/** A database setup: its layout and what it stores. A part creates each one it needs, once. */
export interface ShapeSetup {
  layout: ShapeLayout;
  valueBytes: number;
  value: ShapeValue;
}

export const setupKey = (s: ShapeSetup) => `${layoutName(s.layout)}/${s.valueBytes}/${s.value}`;

/** What runs at once in a cell: `mixed`, or readers alone, or writers alone. */
export type ShapeLoad = 'mixed' | 'read' | 'write';

/** One measured cell: workers [0, writers) write, [writers, writers + readers) read. */
export interface ShapeCell {
  part: ShapePart;
  /** Unique within a run, e.g. "mixed stores-4 x32 mixed". */
  key: string;
  setup: ShapeSetup;
  load: ShapeLoad;
  /** Ops (chunks) per transaction. */
  batch: number;
  durability: ShapeDurability;
  writers: number;
  readers: number;
  writeOp: WriteOp;
}

const ONE_STORE: ShapeLayout = { kind: 'stores', k: 1 };

/** Every cell of the run, part by part, in the order a trial runs them. */
export function shapeCells(p: ShapeParams): ShapeCell[] {
  const cells: ShapeCell[] = [];
  const add = (cell: Omit<ShapeCell, 'key'>, what: string) =>
    cells.push({ ...cell, key: `${cell.part} ${what}` });
  for (const part of p.parts) {
    if (part === 'mixed') {
      p.layouts.forEach((name, i) => {
        const setup = {
          layout: parseLayout(name),
          valueBytes: p.chunkSize,
          value: 'buffer',
        } as const;
        const alone = p.alone === 'all' || (p.alone === 'first' && i === 0);
        for (const batch of p.batches) {
          const loads: ShapeLoad[] = alone ? ['mixed', 'read', 'write'] : ['mixed'];
          for (const load of loads) {
            add(
              {
                part,
                setup,
                load,
                batch,
                durability: 'relaxed',
                writers: load === 'read' ? 0 : p.writers,
                readers: load === 'write' ? 0 : p.readers,
                writeOp: p.writeOp,
              },
              `${name} x${batch} ${load}`,
            );
          }
        }
      });
    }
    const single = (setup: ShapeSetup, load: 'read' | 'write', batch: number, what: string) =>
      add(
        {
          part,
          setup,
          load,
          batch,
          durability: 'relaxed',
          writers: load === 'write' ? p.workers : 0,
          readers: load === 'read' ? p.workers : 0,
          writeOp: 'put',
        },
        what,
      );
    if (part === 'chunk-size') {
      for (const valueBytes of p.sizes) {
        const setup = { layout: ONE_STORE, valueBytes, value: 'buffer' } as const;
        single(setup, 'write', p.batch, `${valueBytes} put`);
        single(setup, 'read', p.batch, `${valueBytes} get`);
      }
    }
    if (part === 'blob') {
      for (const valueBytes of p.blobSizes) {
        for (const value of SHAPE_VALUES) {
          const setup = { layout: ONE_STORE, valueBytes, value };
          single(setup, 'write', p.batch, `${valueBytes} ${value} put`);
          single(setup, 'read', p.batch, `${valueBytes} ${value} get`);
        }
      }
    }
    if (part === 'durability') {
      const setup = { layout: ONE_STORE, valueBytes: p.chunkSize, value: 'buffer' } as const;
      for (const durability of SHAPE_DURABILITIES) {
        for (const batch of p.batches) {
          add(
            {
              part,
              setup,
              load: 'write',
              batch,
              durability,
              writers: p.workers,
              readers: 0,
              writeOp: 'put',
            },
            `${durability} x${batch} put`,
          );
        }
      }
    }
  }
  return cells;
}

/** The distinct setups of a part's cells, in first-use order. */
export function setupsOf(cells: readonly ShapeCell[]): ShapeSetup[] {
  const seen = new Map<string, ShapeSetup>();
  for (const c of cells) if (!seen.has(setupKey(c.setup))) seen.set(setupKey(c.setup), c.setup);
  return [...seen.values()];
}

/** Workers a run needs: the most of any cell. */
export const workersNeeded = (cells: readonly ShapeCell[]) =>
  Math.max(1, ...cells.map((c) => c.writers + c.readers));

/** A rough length of the run (ms): every cell of every trial, plus a little each. */
export const estimatedMs = (p: ShapeParams) =>
  shapeCells(p).length * p.trials * (p.warmupMs + p.runtimeMs + 100);
