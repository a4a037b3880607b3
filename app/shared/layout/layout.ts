// The control SharedArrayBuffer, placed: each region (a `*-layout.ts` beside its concept) declares
// its words and their owners; this file puts them one after another from the parameters, so every
// index is computed here, and checks the magic number, version and length before a worker attaches.

import { aioRegion } from '../block/aio-layout.ts';
import { cacheRegion } from '../block/cache-layout.ts';
import { checkParams, PARAMS, paramsOf, type ControlParams } from './control-params.ts';
import { ideRingRegion } from '../virtio/ide-ring-layout.ts';
import { imageRegion } from '../block/image-layout.ts';
import { Cursor } from './layout-region.ts';
import { loopRegion } from '../sync/loop-layout.ts';
import { machineRegion } from '../machine/machine-layout.ts';
import { poolRegion } from '../pool/pool-layout.ts';
import { poolTraceRegion } from '../pool/pool-trace-layout.ts';
import { probeRegion } from './probe-layout.ts';
import { recordRegion } from '../pool/record-layout.ts';
import { slotRegion } from '../block/slot-layout.ts';
import { unsyncedRegion } from '../block/unsynced-layout.ts';
import { vcpuRegion } from '../machine/vcpu-layout.ts';
import { vreqRegion } from '../virtio/vreq-layout.ts';

export const LAYOUT_MAGIC = 0x57_41_49_4f; // "WAIO"
export const LAYOUT_VERSION = 8;

/** The header comes first and has no parameters, so an attacher can read it before anything.
 *  All its words are written once by createControl(), magic last. */
function headerRegion(c: Cursor) {
  return {
    magic: c.i32(1),
    version: c.i32(1),
    byteLength: c.i32(1),
    /** The ControlParams, one word each in PARAMS order. */
    params: c.i32(PARAMS.length),
  };
}
const HEADER_CURSOR = new Cursor();
const HEADER = headerRegion(HEADER_CURSOR);
const HEADER_BYTES = HEADER_CURSOR.bytes;

/** Every region, in the order of its bytes in the buffer (properties are evaluated in order). */
function computeLayout(p: ControlParams) {
  const c = new Cursor();
  return {
    params: p,
    header: headerRegion(c),
    loop: loopRegion(c),
    pool: poolRegion(c),
    poolTrace: poolTraceRegion(c),
    image: imageRegion(c),
    aio: aioRegion(c),
    cache: cacheRegion(c, p.cachePages),
    unsynced: unsyncedRegion(c, p.diskChunks),
    slot: slotRegion(c, p.nslots, p.maxIov),
    record: recordRegion(c, p.nrecords),
    vreq: vreqRegion(c, p.nslots),
    machine: machineRegion(c),
    vcpu: vcpuRegion(c, p.nvcpus),
    ide: ideRingRegion(c, p.ideRing ?? 0),
    probe: probeRegion(c),
    byteLength: c.bytes,
  };
}

export type ControlLayout = ReturnType<typeof computeLayout>;

export function layoutBytes(p: ControlParams): number {
  checkParams(p);
  return computeLayout(p).byteLength;
}

/** A control buffer as seen by one thread: the same words through three typed views. */
export interface Control {
  readonly sab: SharedArrayBuffer;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly i64: BigInt64Array;
  readonly L: ControlLayout;
}

function views(sab: SharedArrayBuffer, L: ControlLayout): Control {
  return {
    sab,
    i32: new Int32Array(sab),
    f64: new Float64Array(sab),
    i64: new BigInt64Array(sab),
    L,
  };
}

/** Allocate and initialise a control buffer (main thread, before any worker sees it). */
export function createControl(p: ControlParams): Control {
  checkParams(p);
  const L = computeLayout(p);
  const ctl = views(new SharedArrayBuffer(L.byteLength), L);
  const { i32 } = ctl;
  // The words whose idle value is not 0: empty request list and links, empty cache pages.
  i32[L.pool.queueHead] = -1;
  i32[L.pool.queueTail] = -1;
  for (let s = 0; s < p.nslots; s++) {
    i32[L.slot.next.at(s)] = -1;
    i32[L.slot.prev.at(s)] = -1;
  }
  for (let page = 0; page < p.cachePages; page++) i32[L.cache.tag.at(page)] = -1;
  for (const [k, key] of PARAMS.entries()) i32[L.header.params + k] = p[key] ?? 0;
  i32[L.header.byteLength] = L.byteLength;
  i32[L.header.version] = LAYOUT_VERSION;
  // Magic last: a buffer is attachable only once it is whole.
  Atomics.store(i32, L.header.magic, LAYOUT_MAGIC);
  return ctl;
}

/** Attach to a control buffer made by createControl(), refusing anything else. */
export function attachControl(sab: SharedArrayBuffer): Control {
  if (sab.byteLength < HEADER_BYTES) {
    throw new Error(`control buffer of ${sab.byteLength} bytes is too small for a header`);
  }
  const head = new Int32Array(sab, 0, HEADER_BYTES / 4);
  const magic = Atomics.load(head, HEADER.magic);
  if (magic !== LAYOUT_MAGIC) {
    throw new Error(
      `control buffer magic 0x${(magic >>> 0).toString(16)} is not 0x${LAYOUT_MAGIC.toString(16)}`,
    );
  }
  const version = head[HEADER.version];
  if (version !== LAYOUT_VERSION) {
    throw new Error(`control layout version ${version}, this bundle reads ${LAYOUT_VERSION}`);
  }
  const p = paramsOf((_, k) => head[HEADER.params + k]);
  checkParams(p);
  const L = computeLayout(p);
  const stored = head[HEADER.byteLength];
  if (stored !== L.byteLength || sab.byteLength !== L.byteLength) {
    throw new Error(
      `control buffer is ${sab.byteLength} bytes (header says ${stored}), ` +
        `layout v${LAYOUT_VERSION} for ${JSON.stringify(p)} needs ${L.byteLength}`,
    );
  }
  return views(sab, L);
}
