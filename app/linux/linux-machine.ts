// A Linux machine: v86 on a worker of its own (a vCPU thread, so the page's main thread keeps
// running the main loop's bottom halves and the UI), booting the guest built from Debian's
// packages, its IDE hard disk a front end on a BlockBackend — the same AIO pool, counters, trace
// and completion bottom half as the toy machine's virtio-blk. The page owns it all, as for the
// toy machine: the image's lock (another tab gets EBUSY), the control buffer, the main loop and
// the BQL, the staging buffer; the PC it powers on and off is linux-pc.ts.

import { blockControlParams, type BlockBackend } from '../block/block-backend.ts';
import type { OpenedImage } from '../block/block-open.ts';
import { createMachineLoop, type MachineLoop } from '../machine/machine-loop.ts';
import { machineStats, type MachineStats, type VcpuIdentity } from '../machine/machine-stats.ts';
import { TraceRecorder } from '../machine/trace-recorder.ts';
import type { LinuxDiskInit, LinuxInit } from '../shared/contracts.ts';
import { Errno, ErrnoError } from '../shared/block/errno.ts';
import type { Control } from '../shared/layout/layout.ts';
import { threadIdOfVcpu } from '../shared/pool/record-layout.ts';
import type { PoolConfig } from '../shared/pool/pool-config.ts';
import { guestFiles, type GuestFiles } from './guest-files.ts';
import type { GuestState } from './guest-control.ts';
import {
  DEFAULT_CMDLINE,
  DEFAULT_LINUX_DISK_MODE,
  DEFAULT_MEMORY_MIB,
  LINUX_DISK_MODES,
  VCPU,
  type LinuxConfig,
  type LinuxDiskMode,
} from './linux-config.ts';
import { IDE_FRONT_END, LinuxDisk, openLinuxImage, type DiskFailure } from './linux-disk.ts';
import { LinuxPc, type LinuxPower } from './linux-pc.ts';
import type { SerialConsole } from './serial-console.ts';

export class LinuxMachine {
  readonly image: string;
  readonly mode: LinuxDiskMode;
  /** The disk's backend; undefined for the benchmark's in-memory baseline. */
  readonly disk: BlockBackend | undefined;
  /** The guest's console (ttyS0). */
  readonly console: SerialConsole;
  readonly files: GuestFiles;
  /** Requests the block layer failed (the guest got an I/O error for each). */
  readonly failures: readonly DiskFailure[];
  /** The control buffer (v86's thread as vCPU 0), the BQL and the main loop the disk is on;
   *  undefined for the in-memory baseline. */
  private readonly machineLoop: MachineLoop | undefined;
  /** The disk's wiring while the machine lives; undefined for the in-memory baseline. */
  private readonly ide: LinuxDisk | undefined;
  /** The PC: v86's thread, its power, the guest's state, the serial ports. */
  private readonly pc: LinuxPc;
  private destroyed: Promise<void> | undefined;
  private readonly listeners = new Set<() => void>();

  /** Take the image, make the machine's control buffer, BQL and main loop, start the loop and
   *  the disk's pool, and power the PC on. */
  static async create(cfg: LinuxConfig): Promise<LinuxMachine> {
    const files = await guestFiles();
    const mode = cfg.mode ?? DEFAULT_LINUX_DISK_MODE;
    if (!LINUX_DISK_MODES.includes(mode)) {
      throw new ErrnoError(
        Errno.EINVAL,
        `disk mode "${String(mode)}" is not one of ${LINUX_DISK_MODES.join(', ')}`,
      );
    }
    const opened = await openLinuxImage(cfg, mode);
    let m: LinuxMachine | undefined;
    try {
      m = new LinuxMachine(cfg, mode, files, opened);
      await m.boot();
      return m;
    } catch (e) {
      // Before the constructor returned nothing ran: the image's lock is all there is to undo.
      if (m) await m.destroy().catch(() => undefined);
      else opened.release();
      throw e;
    }
  }

  /** The benchmark's baseline: the same PC with its disk an ArrayBuffer in v86's worker (as
   *  v86 keeps a disk by default; nothing survives the machine). */
  static async createInMemory(
    virtualSize: number,
    cfg: Omit<LinuxConfig, 'image' | 'mode' | 'pool' | 'aio' | 'pageCacheBytes'> = {},
  ): Promise<LinuxMachine> {
    const files = await guestFiles();
    const m = new LinuxMachine({ image: '(memory)', ...cfg }, 'writethrough', files, {
      kind: 'memory',
      virtualSize,
    });
    await m.start();
    return m;
  }

  /** On an image (`disk` opened, its lock held) the machine makes its control buffer, BQL and
   *  main loop, as the toy machine does, and attaches the disk to the loop; on an in-memory
   *  disk (a LinuxDiskInit) v86 keeps the disk itself. */
  private constructor(
    cfg: LinuxConfig,
    mode: LinuxDiskMode,
    files: GuestFiles,
    disk: OpenedImage | LinuxDiskInit,
  ) {
    this.image = cfg.image;
    this.mode = mode;
    this.files = files;
    let diskInit: LinuxDiskInit;
    if ('kind' in disk) {
      diskInit = disk;
    } else {
      const ml = createMachineLoop({ ...blockControlParams(disk, IDE_FRONT_END), nvcpus: 1 });
      this.machineLoop = ml;
      this.ide = new LinuxDisk(disk, ml.loop, mode, () => this.changed());
      this.disk = this.ide.backend;
      diskInit = this.ide.diskInit;
    }
    this.failures = this.ide?.failures ?? [];
    const init: LinuxInit = {
      wasmUrl: files.wasmUrl,
      biosUrl: files.biosUrl,
      vgaBiosUrl: files.vgaBiosUrl,
      kernelUrl: files.kernelUrl,
      initrdUrl: files.initrdUrl,
      cmdline: cfg.cmdline ?? DEFAULT_CMDLINE,
      memoryBytes: (cfg.memoryMiB ?? DEFAULT_MEMORY_MIB) << 20,
      disk: diskInit,
    };
    this.pc = new LinuxPc(init, {
      changed: () => this.changed(),
      onChange: (fn) => this.onChange(fn),
      beforeStart: async () => {
        await this.ide?.drained();
        const ctl = this.machineLoop?.ctl;
        if (ctl) Atomics.store(ctl.i32, ctl.L.vcpu.irq.at(VCPU), 0);
      },
      drained: async () => {
        await this.ide?.drained();
      },
      afterEnd: async (holdsPoolLock) => {
        if (holdsPoolLock && this.disk) {
          await this.disk.pool.recoverOrphansLocked(threadIdOfVcpu(VCPU));
        }
        if (this.disk) await this.disk.writeBack();
      },
    });
    this.console = this.pc.console;
  }

  /** The main loop, then the disk's pool, then the PC. */
  private async boot(): Promise<void> {
    this.machineLoop?.loop.start();
    await this.disk?.start();
    await this.start();
  }

  // ---- what the page shows ----

  /** Called whenever the power, the guest's state or the failures change. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** The machine's control buffer (the pool's, the IDE front end's and the vCPU's words). */
  get ctl(): Control {
    if (!this.machineLoop) throw new Error('the in-memory machine has no control buffer');
    return this.machineLoop.ctl;
  }

  /** v86's thread, as the page's tables and traces name vCPUs. */
  get vcpus(): readonly VcpuIdentity[] {
    return [this.pc.vcpu];
  }

  get poolConfig(): Readonly<PoolConfig> {
    if (!this.disk) throw new Error('the in-memory machine has no pool');
    return this.disk.poolConfig;
  }

  /** The pool's, the disk's and the BQL's figures, with v86's thread as `vcpus`. */
  stats(): MachineStats | undefined {
    const { machineLoop: ml, disk } = this;
    if (!ml || !disk) return undefined;
    return machineStats(ml.ctl, disk.stats(), ml.bql, disk.pool.completionBatch, this.vcpus);
  }

  /** Record this machine's trace from now until stop() (app/machine/trace-recorder.ts). */
  startTrace(): TraceRecorder {
    const { machineLoop: ml, disk } = this;
    if (!ml || !disk) throw new Error('the in-memory machine has no trace');
    const { image, vcpus } = this;
    const poolConfig = disk.poolConfig;
    return new TraceRecorder({ image, ctl: ml.ctl, loop: ml.loop, disk, vcpus, poolConfig });
  }

  // ---- power ----

  /** The PC's power: off, starting v86, running, or shutting down. */
  get power(): LinuxPower {
    return this.pc.power;
  }

  /** What the guest's init last said on its control port. */
  get guest(): GuestState {
    return this.pc.guest;
  }

  /** Power on: a fresh v86 on a new thread boots the guest; resolves once the PC runs. */
  start(): Promise<void> {
    this.checkAlive();
    return this.pc.start();
  }

  /** Resolves once the guest's init has said how the disk is (ready, or why not). */
  booted({ timeoutMs = 120_000 } = {}): Promise<GuestState> {
    return this.pc.booted({ timeoutMs });
  }

  /**
   * Stop the PC. Gracefully first (the guest syncs, unmounts /dev/sda and powers off, asked on
   * its control port), unless told not to or the guest does not answer; then v86 stops, the
   * requests in flight complete, and the page cache is written back to the image.
   */
  stop(opts: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    return this.pc.stop(opts);
  }

  /** Reset the PC, as its reset button does: no shutdown, a fresh boot on the same disk (what
   *  the guest had not synced is as after a crash). Resolves once the new PC runs. */
  reset(): Promise<void> {
    return this.pc.reset();
  }

  /** Stop, then shut the disk's pool down, release the image, and stop the main loop. */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      try {
        await this.stop();
      } finally {
        this.ide?.detach();
        try {
          await this.disk?.close();
        } finally {
          await this.machineLoop?.loop.stop();
        }
      }
    })();
    return this.destroyed;
  }

  private checkAlive(): void {
    if (this.destroyed) throw new Error(`the Linux machine on image "${this.image}" is destroyed`);
  }
}
