// A Linux machine: v86 on a worker of its own (a vCPU thread, so the page's main thread keeps
// running the main loop's bottom halves and the UI), booting the guest built from Debian's
// packages, its IDE hard disk a front end on a BlockBackend — the same AIO pool, counters, trace
// and completion bottom half as the toy machine's virtio-blk. The page owns it all, as for the
// toy machine: the image's lock (another tab gets EBUSY), the control buffer, the main loop and
// the BQL, the staging buffer, the serial console.

import { blockControlParams, type BlockBackend } from '../block/block-backend.ts';
import type { OpenedImage } from '../block/block-open.ts';
import { createMachineLoop, type MachineLoop } from '../machine/machine-loop.ts';
import { machineStats, type MachineStats, type VcpuIdentity } from '../machine/machine-stats.ts';
import { TraceRecorder } from '../machine/trace-recorder.ts';
import type { LinuxDiskInit, SerialMessage } from '../shared/contracts.ts';
import { Errno, ErrnoError } from '../shared/block/errno.ts';
import type { Control } from '../shared/layout/layout.ts';
import { threadIdOfVcpu } from '../shared/pool/record-layout.ts';
import type { PoolConfig } from '../shared/pool/pool-config.ts';
import { guestFiles, type GuestFiles } from './guest-files.ts';
import { ControlPort, type GuestState } from './guest-control.ts';
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
import { SerialConsole } from './serial-console.ts';
import { initV86, spawnV86, type V86Thread } from './v86-thread.ts';

const GRACEFUL_STOP_MS = 30_000;

/** The emulated PC: off, starting v86, running, or shutting down. */
export type LinuxPower = 'off' | 'starting' | 'running' | 'stopping';

export class LinuxMachine {
  readonly image: string;
  readonly mode: LinuxDiskMode;
  /** The disk's backend; undefined for the benchmark's in-memory baseline. */
  readonly disk: BlockBackend | undefined;
  /** The guest's console (ttyS0). */
  readonly console: SerialConsole;
  readonly files: GuestFiles;
  power: LinuxPower = 'off';
  guest: GuestState = 'booting';
  /** Requests the block layer failed (the guest got an I/O error for each). */
  readonly failures: readonly DiskFailure[];
  private readonly diskInit: LinuxDiskInit;
  private readonly memoryBytes: number;
  private readonly cmdline: string;
  /** The control buffer (v86's thread as vCPU 0), the BQL and the main loop the disk is on;
   *  undefined for the in-memory baseline. */
  private readonly machineLoop: MachineLoop | undefined;
  /** The disk's wiring while the machine lives; undefined for the in-memory baseline. */
  private readonly ide: LinuxDisk | undefined;
  private readonly vcpu: { index: number; generation: number; jobLabel: string } = {
    index: VCPU,
    generation: 0,
    jobLabel: 'Linux (v86)',
  };
  private worker: Worker | undefined;
  private api: V86Thread['api'] | undefined;
  private serial: MessagePort | undefined;
  private readonly control = new ControlPort();
  private stopping: Promise<void> | undefined;
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
    this.memoryBytes = (cfg.memoryMiB ?? DEFAULT_MEMORY_MIB) << 20;
    this.cmdline = cfg.cmdline ?? DEFAULT_CMDLINE;
    this.console = new SerialConsole((bytes) => this.sendSerial(0, bytes));
    if ('kind' in disk) {
      this.diskInit = disk;
    } else {
      const ml = createMachineLoop({ ...blockControlParams(disk, IDE_FRONT_END), nvcpus: 1 });
      this.machineLoop = ml;
      this.ide = new LinuxDisk(disk, ml.loop, mode, () => this.changed());
      this.disk = this.ide.backend;
      this.diskInit = this.ide.diskInit;
    }
    this.failures = this.ide?.failures ?? [];
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
    return [this.vcpu];
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

  /** Power on: a fresh v86 on a new thread boots the guest; resolves once the PC runs. */
  async start(): Promise<void> {
    this.checkAlive();
    if (this.power !== 'off') throw new Error(`the Linux machine is ${this.power}, not off`);
    await this.ide?.drained();
    const ctl = this.machineLoop?.ctl;
    if (ctl) Atomics.store(ctl.i32, ctl.L.vcpu.irq.at(VCPU), 0);
    this.power = 'starting';
    this.guest = 'booting';
    this.control.reset();
    this.vcpu.generation++;
    this.changed();
    const v86 = spawnV86((m) => this.receive(m));
    this.worker = v86.worker;
    this.api = v86.api;
    this.serial = v86.serial;
    const f = this.files;
    try {
      await initV86(v86, {
        wasmUrl: f.wasmUrl,
        biosUrl: f.biosUrl,
        vgaBiosUrl: f.vgaBiosUrl,
        kernelUrl: f.kernelUrl,
        initrdUrl: f.initrdUrl,
        cmdline: this.cmdline,
        memoryBytes: this.memoryBytes,
        disk: this.diskInit,
      });
    } catch (e) {
      // Nothing more is asked of a worker that did not start: it is ended.
      this.api = undefined;
      await this.powerOff();
      throw e;
    }
    this.power = 'running';
    this.changed();
  }

  /** Resolves once the guest's init has said how the disk is (ready, or why not). */
  async booted({ timeoutMs = 120_000 } = {}): Promise<GuestState> {
    const t0 = performance.now();
    while (this.guest === 'booting') {
      if (this.power === 'off') throw new Error('the Linux machine was powered off while booting');
      if (performance.now() - t0 > timeoutMs) {
        throw new Error(
          `the guest did not come up within ${timeoutMs} ms; console: ` +
            JSON.stringify(this.console.transcript(this.console.mark - 600)),
        );
      }
      await new Promise<void>((resolve) => {
        const off = this.onChange(() => {
          off();
          resolve();
        });
        setTimeout(() => {
          off();
          resolve();
        }, 500);
      });
    }
    return this.guest;
  }

  /**
   * Stop the PC. Gracefully first (the guest syncs, unmounts /dev/sda and powers off, asked on
   * its control port), unless told not to or the guest does not answer; then v86 stops, the
   * requests in flight complete, and the page cache is written back to the image.
   */
  stop({ graceful = true, timeoutMs = GRACEFUL_STOP_MS } = {}): Promise<void> {
    this.stopping ??= this.doStop(graceful, timeoutMs).finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async doStop(graceful: boolean, timeoutMs: number): Promise<void> {
    if (this.power === 'off') return;
    const canAsk = this.guest !== 'booting' && this.guest !== 'unmounted';
    this.power = 'stopping';
    this.changed();
    if (graceful && canAsk) {
      this.sendSerial(1, new TextEncoder().encode('poweroff\n'));
      await this.untilGuest('unmounted', timeoutMs).catch((e: unknown) => {
        console.warn(`Linux machine: ${(e as Error).message}; powering off`);
      });
    }
    await this.powerOff();
  }

  /** Reset the PC, as its reset button does: no shutdown, a fresh boot on the same disk (what
   *  the guest had not synced is as after a crash). Resolves once the new PC runs. */
  async reset(): Promise<void> {
    if (this.power !== 'running' || !this.api) {
      throw new Error(`the Linux machine is ${this.power}: nothing to reset`);
    }
    this.guest = 'booting';
    this.control.reset();
    this.changed();
    await this.api.reset();
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

  /** v86 stopped, its requests drained, its thread ended, the page cache written back. */
  private async powerOff(): Promise<void> {
    const { api, worker } = this;
    this.api = undefined;
    this.worker = undefined;
    await api?.stop().catch(() => undefined);
    await this.ide?.drained();
    const holdsPoolLock = (await api?.quiesce().catch(() => false)) ?? false;
    worker?.terminate();
    this.serial?.close();
    this.serial = undefined;
    if (holdsPoolLock && this.disk) await this.disk.pool.recoverOrphansLocked(threadIdOfVcpu(VCPU));
    if (this.disk) await this.disk.writeBack();
    this.power = 'off';
    this.changed();
  }

  private untilGuest(state: GuestState, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.guest === state) return resolve();
      const timer = setTimeout(() => {
        off();
        reject(new Error(`the guest did not reach "${state}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onChange(() => {
        if (this.guest !== state) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  // ---- serial ports ----

  private sendSerial(uart: number, bytes: Uint8Array): void {
    this.serial?.postMessage({ uart, bytes } satisfies SerialMessage);
  }

  private receive({ uart, bytes }: SerialMessage): void {
    if (uart === 0) {
      this.console.receive(bytes);
      return;
    }
    for (const state of this.control.receive(bytes)) {
      if (state !== this.guest) {
        this.guest = state;
        this.changed();
      }
    }
  }

  private checkAlive(): void {
    if (this.destroyed) throw new Error(`the Linux machine on image "${this.image}" is destroyed`);
  }
}
