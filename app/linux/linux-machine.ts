// A Linux machine: v86 on a worker of its own (a vCPU thread, so the page's main thread keeps
// running the main loop's bottom halves and the UI), booting the guest built from Debian's
// packages, its IDE hard disk a front end on a BlockBackend — the same AIO pool, counters, trace
// and completion bottom half as the toy machine's virtio-blk. The page owns it all: the image's
// lock (another tab gets EBUSY), the control and staging buffers, the serial console.

import type { BlockBackend } from '../block/block-backend.ts';
import type { MainBql } from '../machine/main-bql.ts';
import type { MachineStats, VcpuIdentity } from '../machine/machine-stats.ts';
import type { TraceRecorder } from '../machine/trace-recorder.ts';
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
import { LinuxDisk, openLinuxDisk, type DiskFailure } from './linux-disk.ts';
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

  /** Take the image, start its pool and main loop, and power the PC on. */
  static async create(cfg: LinuxConfig): Promise<LinuxMachine> {
    const files = await guestFiles();
    const mode = cfg.mode ?? DEFAULT_LINUX_DISK_MODE;
    if (!LINUX_DISK_MODES.includes(mode)) {
      throw new ErrnoError(
        Errno.EINVAL,
        `disk mode "${String(mode)}" is not one of ${LINUX_DISK_MODES.join(', ')}`,
      );
    }
    const { disk, bql, diskInit } = await openLinuxDisk(cfg, mode);
    let m: LinuxMachine | undefined;
    try {
      m = new LinuxMachine(cfg, mode, files, diskInit, { disk, bql });
      disk.loop.start();
      await disk.start();
      await m.start();
      return m;
    } catch (e) {
      if (m) await m.destroy().catch(() => undefined);
      else await disk.close().catch(() => undefined);
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

  private constructor(
    cfg: LinuxConfig,
    mode: LinuxDiskMode,
    files: GuestFiles,
    diskInit: LinuxDiskInit,
    aio?: { disk: BlockBackend; bql: MainBql },
  ) {
    this.image = cfg.image;
    this.mode = mode;
    this.files = files;
    this.diskInit = diskInit;
    this.disk = aio?.disk;
    this.memoryBytes = (cfg.memoryMiB ?? DEFAULT_MEMORY_MIB) << 20;
    this.cmdline = cfg.cmdline ?? DEFAULT_CMDLINE;
    this.console = new SerialConsole((bytes) => this.sendSerial(0, bytes));
    this.ide = aio ? new LinuxDisk(aio.disk, aio.bql, () => this.changed()) : undefined;
    this.failures = this.ide?.failures ?? [];
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

  /** The disk's control buffer (the pool's, the IDE front end's and the vCPU's words). */
  get ctl(): Control {
    if (!this.disk) throw new Error('the in-memory machine has no control buffer');
    return this.disk.ctl;
  }

  /** v86's thread, as the page's tables and traces name vCPUs. */
  get vcpus(): readonly VcpuIdentity[] {
    return [this.vcpu];
  }

  get poolConfig(): Readonly<PoolConfig> {
    if (!this.disk) throw new Error('the in-memory machine has no pool');
    return this.disk.poolConfig;
  }

  stats(): MachineStats | undefined {
    return this.ide?.stats(this.vcpus);
  }

  /** Record this machine's trace from now until stop() (app/machine/trace-recorder.ts). */
  startTrace(): TraceRecorder {
    if (!this.ide) throw new Error('the in-memory machine has no trace');
    return this.ide.startTrace(this.image, this.vcpus);
  }

  // ---- power ----

  /** Power on: a fresh v86 on a new thread boots the guest; resolves once the PC runs. */
  async start(): Promise<void> {
    this.checkAlive();
    if (this.power !== 'off') throw new Error(`the Linux machine is ${this.power}, not off`);
    await this.ide?.drained();
    if (this.disk) Atomics.store(this.disk.ctl.i32, this.disk.ctl.L.vcpu.irq.at(VCPU), 0);
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

  /** Stop, then shut the disk's pool down and release the image. */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      try {
        await this.stop();
      } finally {
        this.ide?.detach();
        try {
          await this.disk?.close();
        } finally {
          await this.disk?.loop.stop();
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
