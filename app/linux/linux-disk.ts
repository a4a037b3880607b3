// A Linux machine's disk on the page: the image opened as an IDE disk on a BlockBackend, and its
// wiring while the machine lives — the machine's control buffer, main loop and the BQL it takes, the IDE front end's completions
// into its ring with one interrupt per pass, the requests the block layer failed, the page cache
// written back when the page may be going away, and the figures and trace the page shows.

import { BlockBackend, blockControlParams } from '../block/block-backend.ts';
import { resolveBlockConfig } from '../block/block-config.ts';
import { openImage } from '../block/block-open.ts';
import { MainBql } from '../machine/main-bql.ts';
import { MainLoop } from '../machine/main-loop.ts';
import { machineStats, type MachineStats, type VcpuIdentity } from '../machine/machine-stats.ts';
import { TraceRecorder } from '../machine/trace-recorder.ts';
import { BLOCK_OP_NAMES, SECTOR_SIZE, type BlockOp } from '../shared/block/block.ts';
import type { LinuxDiskInit } from '../shared/contracts.ts';
import { Errno, ErrnoError, errnoName } from '../shared/block/errno.ts';
import { ideRingPush } from '../shared/virtio/ide-ring.ts';
import { createControl } from '../shared/layout/layout.ts';
import { threadIdOfVcpu } from '../shared/pool/record-layout.ts';
import { raiseIrq } from '../shared/virtio/virtio-blk-complete.ts';
import {
  CACHE_OF_MODE,
  DMA_BYTES,
  IDE_SLOTS,
  VCPU,
  type LinuxConfig,
  type LinuxDiskMode,
} from './linux-config.ts';

/** A request the block layer failed, as the page reports it. */
export interface DiskFailure {
  t: number;
  message: string;
}

/** Take the image and make it v86's IDE disk: its backend (not started) and what v86's worker
 *  attaches with. The image is released again if it cannot be. */
export async function openLinuxDisk(
  cfg: LinuxConfig,
  mode: LinuxDiskMode,
): Promise<{ disk: BlockBackend; bql: MainBql; diskInit: LinuxDiskInit }> {
  const { pool, aio, pageCacheBytes } = cfg;
  const config = resolveBlockConfig(cfg.image, {
    cache: CACHE_OF_MODE[mode],
    pool,
    aio,
    pageCacheBytes,
  });
  const opened = await openImage(config, 'linux');
  try {
    const { virtualSize } = opened.meta;
    if (virtualSize % SECTOR_SIZE !== 0 || virtualSize < SECTOR_SIZE) {
      throw new ErrnoError(
        Errno.EINVAL,
        `image "${cfg.image}" is ${virtualSize} bytes: an IDE disk is whole 512-byte sectors`,
      );
    }
    // The machine's control buffer, BQL and main loop (one vCPU: v86's thread); the disk
    // attaches to the loop, as a BlockBackend does to the machine's.
    const dma = new SharedArrayBuffer(DMA_BYTES);
    const fe = { nslots: IDE_SLOTS, maxIov: 1, ideRing: IDE_SLOTS };
    const ctl = createControl({ ...blockControlParams(opened, fe), nvcpus: 1 });
    const bql = new MainBql(ctl);
    const disk = new BlockBackend(opened, new MainLoop(ctl, bql), dma);
    const diskInit: LinuxDiskInit = {
      kind: 'aio',
      ctl: ctl.sab,
      dma,
      aio: disk.aioParams,
      virtualSize,
      writeCache: mode !== 'writethrough',
    };
    return { disk, bql, diskInit };
  } catch (e) {
    opened.release();
    throw e;
  }
}

export class LinuxDisk {
  readonly backend: BlockBackend;
  readonly bql: MainBql;
  /** Requests the block layer failed (the guest got an I/O error for each). */
  readonly failures: DiskFailure[] = [];
  private irqOwed = false;
  /** The machine's: called when a failure is noted. */
  private readonly changed: () => void;
  private readonly onHidden = () => {
    if (document.visibilityState === 'hidden') this.writeBackBestEffort();
  };
  private readonly onPageHide = () => this.writeBackBestEffort();

  constructor(disk: BlockBackend, bql: MainBql, changed: () => void) {
    this.backend = disk;
    this.changed = changed;
    this.bql = bql;
    disk.onComplete(threadIdOfVcpu(VCPU), (slot, ret) => this.complete(slot, ret));
    // One interrupt per completion pass, after all its completions are in the ring.
    disk.afterCompletions = () => {
      if (!this.irqOwed) return;
      this.irqOwed = false;
      raiseIrq(disk.ctl, VCPU);
    };
    // A page being hidden may be gone next: write the page cache back while we can.
    document.addEventListener('visibilitychange', this.onHidden);
    addEventListener('pagehide', this.onPageHide);
  }

  /** The machine is being destroyed: the page's events are no longer the disk's business. */
  detach(): void {
    document.removeEventListener('visibilitychange', this.onHidden);
    removeEventListener('pagehide', this.onPageHide);
  }

  /** Until every request the IDE front end submitted has completed. */
  async drained(): Promise<void> {
    const { i32, L } = this.backend.ctl;
    for (;;) {
      const n = Atomics.load(i32, L.ide.inflight);
      if (n === 0) return;
      const w = Atomics.waitAsync(i32, L.ide.inflight, n, 1000);
      if (w.async) await w.value;
    }
  }

  /** The pool's, the disk's and the BQL's figures, with v86's thread as `vcpus`. */
  stats(vcpus: readonly VcpuIdentity[]): MachineStats {
    const disk = this.backend;
    return machineStats(disk.ctl, disk.stats(), this.bql, disk.pool.completionBatch, vcpus);
  }

  /** Record the trace of the machine on `image` from now until stop(). */
  startTrace(image: string, vcpus: readonly VcpuIdentity[]): TraceRecorder {
    const disk = this.backend;
    return new TraceRecorder({
      image,
      ctl: disk.ctl,
      loop: disk.loop,
      disk,
      vcpus,
      poolConfig: disk.poolConfig,
    });
  }

  private writeBackBestEffort(): void {
    void this.backend.writeBack().catch((e: unknown) => {
      console.warn(`Linux machine: write-back on hiding the page failed: ${(e as Error).message}`);
    });
  }

  // ---- completions (the main loop's completion BH, under the BQL) ----

  private complete(slot: number, ret: number): void {
    const ctl = this.backend.ctl;
    if (ret < 0) {
      const { i32, f64, L } = ctl;
      const op = i32[L.slot.op.at(slot)] as BlockOp;
      const byteOffset = f64[L.slot.byteOffset.at(slot)];
      const nbytes = f64[L.slot.nbytes.at(slot)];
      const why = this.backend.backingFault();
      this.failures.push({
        t: Date.now(),
        message:
          `${BLOCK_OP_NAMES[op]} of ${nbytes} bytes at sector ${byteOffset / SECTOR_SIZE} ` +
          `failed with ${errnoName(ret)} (${ret})${why ? `: ${why}` : ''}`,
      });
      queueMicrotask(() => this.changed());
    }
    ideRingPush(ctl, slot, ret);
    this.irqOwed = true;
  }
}
