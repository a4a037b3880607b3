// A Linux machine: v86 on a worker of its own (a vCPU thread, so the page's main thread keeps
// running the main loop's bottom halves and the UI), booting the guest built from Debian's
// packages, its IDE hard disk a front end on a BlockBackend — the same AIO pool, counters, trace
// and completion bottom half as the toy machine's virtio-blk. The page owns it all: the image's
// lock (another tab gets EBUSY), the control and staging buffers, the main loop and its BQL, the
// serial console.

import { transfer, wrap, type Remote } from 'comlink';
import { BlockBackend, blockControlParams } from '../block-backend.ts';
import { resolveBlockConfig } from '../block-config.ts';
import { openImage } from '../block-open.ts';
import { MainBql } from '../main-bql.ts';
import { MainLoop } from '../main-loop.ts';
import { machineStats, type MachineStats, type VcpuIdentity } from '../machine-stats.ts';
import { spawnLinuxWorker } from '../spawn.ts';
import { TraceRecorder } from '../trace-recorder.ts';
import type { AioConfig } from '../shared/aio-config.ts';
import { BLOCK_OP_NAMES, SECTOR_SIZE, type BlockOp, type CacheMode } from '../shared/block.ts';
import type { LinuxDiskInit, LinuxWorkerApi, SerialMessage } from '../shared/contracts.ts';
import { Errno, ErrnoError, errnoName } from '../shared/errno.ts';
import { ideRingPush } from '../shared/ide-ring.ts';
import { createControl, threadIdOfVcpu, type Control } from '../shared/layout.ts';
import type { PoolConfig } from '../shared/thread-pool.ts';
import { raiseIrq } from '../shared/virtio-blk-complete.ts';
import { deadline } from '../shared/deadline.ts';
import { guestFiles, type GuestFiles } from './guest-files.ts';
import { SerialConsole } from './serial-console.ts';

/**
 * How the disk keeps what the guest writes. writeback: IDENTIFY advertises a write cache and
 * FLUSH CACHE reaches the block layer's durable flush, so what a completed flush covered
 * survives a crash or a power cut, as on a PC's disk. writethrough: no write cache; every write
 * is durable before it completes. unsafe: a write cache whose flush does nothing (for tests
 * that must find losses).
 */
export const LINUX_DISK_MODES = ['writeback', 'writethrough', 'unsafe'] as const;
export type LinuxDiskMode = (typeof LINUX_DISK_MODES)[number];
export const DEFAULT_LINUX_DISK_MODE: LinuxDiskMode = 'writeback';

const CACHE_OF_MODE: Record<LinuxDiskMode, CacheMode> = {
  writeback: 'writeback',
  writethrough: 'writethrough',
  unsafe: 'unsafe',
};

/** Request slots of the IDE front end (v86 has one command at a time per channel, plus the
 *  answers it has not heard yet); a power of two, so the completion ring wraps cleanly. */
const IDE_SLOTS = 32;
/** The staging buffer: the largest ATA request (65 536 sectors, 32 MiB) and room besides. */
const DMA_BYTES = 48 << 20;
/** v86 loads the initramfs at 64 MiB: the guest needs more than that. */
const DEFAULT_MEMORY_MIB = 128;
/** The crypto self-tests cost seconds of boot in v86; ISA PnP probing finds nothing. */
export const DEFAULT_CMDLINE = 'console=ttyS0 quiet cryptomgr.notests noisapnp';
const VCPU = 0;
const GRACEFUL_STOP_MS = 30_000;
/** v86 fetching ~10 MB (wasm, BIOS, kernel, initramfs) and starting. */
const START_MS = 120_000;

export interface LinuxConfig {
  /** The image v86's hard disk is; held for the machine's lifetime. */
  image: string;
  mode?: LinuxDiskMode;
  pool?: Partial<PoolConfig>;
  aio?: Partial<AioConfig>;
  pageCacheBytes?: number;
  memoryMiB?: number;
  cmdline?: string;
}

/** The emulated PC: off, starting v86, running, or shutting down. */
export type LinuxPower = 'off' | 'starting' | 'running' | 'stopping';

/** What the guest's init last said on the control port (ttyS1). */
export type GuestState =
  | 'booting'
  | 'ready'
  | 'no-disk'
  | 'no-filesystem'
  | 'fsck-failed'
  | 'mount-failed'
  | 'shutting-down'
  | 'unmounted';

const CONTROL_LINES: [RegExp, GuestState][] = [
  [/^booting$/, 'booting'],
  [/^ready$/, 'ready'],
  [/^nodisk$/, 'no-disk'],
  [/^nofs$/, 'no-filesystem'],
  [/^fsck \d+$/, 'fsck-failed'],
  [/^nomount$/, 'mount-failed'],
  [/^stopping$/, 'shutting-down'],
  [/^unmounted$/, 'unmounted'],
];

/** A machine with a disk on the block layer: its main loop, the BQL the loop holds, the disk. */
interface AioDisk {
  loop: MainLoop;
  bql: MainBql;
  disk: BlockBackend;
}

/** A request the block layer failed, as the page reports it. */
export interface DiskFailure {
  t: number;
  message: string;
}

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
  readonly failures: DiskFailure[] = [];
  private readonly diskInit: LinuxDiskInit;
  private readonly memoryBytes: number;
  private readonly cmdline: string;
  private readonly loop: MainLoop | undefined;
  private readonly bql: MainBql | undefined;
  private readonly vcpu: { index: number; generation: number; jobLabel: string } = {
    index: VCPU,
    generation: 0,
    jobLabel: 'Linux (v86)',
  };
  private worker: Worker | undefined;
  private api: Remote<LinuxWorkerApi<MessagePort>> | undefined;
  private serial: MessagePort | undefined;
  private controlText = '';
  private irqOwed = false;
  private stopping: Promise<void> | undefined;
  private destroyed: Promise<void> | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly onHidden = () => {
    if (document.visibilityState === 'hidden') this.writeBackBestEffort();
  };
  private readonly onPageHide = () => this.writeBackBestEffort();

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
    const { pool, aio, pageCacheBytes } = cfg;
    const config = resolveBlockConfig(cfg.image, {
      cache: CACHE_OF_MODE[mode],
      pool,
      aio,
      pageCacheBytes,
    });
    const opened = await openImage(config, 'linux');
    let m: LinuxMachine | undefined;
    try {
      const { virtualSize } = opened.meta;
      if (virtualSize % SECTOR_SIZE !== 0 || virtualSize < SECTOR_SIZE) {
        throw new ErrnoError(
          Errno.EINVAL,
          `image "${cfg.image}" is ${virtualSize} bytes: an IDE disk is whole 512-byte sectors`,
        );
      }
      const dma = new SharedArrayBuffer(DMA_BYTES);
      const fe = { nslots: IDE_SLOTS, maxIov: 1, ideRing: IDE_SLOTS };
      const ctl = createControl({ ...blockControlParams(opened, fe), nvcpus: 1 });
      const bql = new MainBql(ctl);
      const loop = new MainLoop(ctl, bql);
      const disk = new BlockBackend(opened, loop, dma);
      const diskInit: LinuxDiskInit = {
        kind: 'aio',
        ctl: ctl.sab,
        dma,
        aio: disk.aioParams,
        virtualSize,
        writeCache: mode !== 'writethrough',
      };
      m = new LinuxMachine(cfg, mode, files, diskInit, { loop, bql, disk });
      loop.start();
      await disk.start();
      await m.start();
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

  private constructor(
    cfg: LinuxConfig,
    mode: LinuxDiskMode,
    files: GuestFiles,
    diskInit: LinuxDiskInit,
    aio?: AioDisk,
  ) {
    this.image = cfg.image;
    this.mode = mode;
    this.files = files;
    this.diskInit = diskInit;
    this.loop = aio?.loop;
    this.bql = aio?.bql;
    this.disk = aio?.disk;
    this.memoryBytes = (cfg.memoryMiB ?? DEFAULT_MEMORY_MIB) << 20;
    this.cmdline = cfg.cmdline ?? DEFAULT_CMDLINE;
    this.console = new SerialConsole((bytes) => this.sendSerial(0, bytes));
    const disk = aio?.disk;
    if (disk) {
      disk.onComplete(threadIdOfVcpu(VCPU), (slot, ret) => this.complete(slot, ret));
      // One interrupt per completion pass, after all its completions are in the ring.
      disk.afterCompletions = () => {
        if (!this.irqOwed) return;
        this.irqOwed = false;
        raiseIrq(this.ctl, VCPU);
      };
      // A page being hidden may be gone next: write the page cache back while we can.
      document.addEventListener('visibilitychange', this.onHidden);
      addEventListener('pagehide', this.onPageHide);
    }
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

  /** The control buffer (the pool's, the IDE front end's and the vCPU's words). */
  get ctl(): Control {
    if (!this.loop) throw new Error('the in-memory machine has no control buffer');
    return this.loop.ctl;
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
    const { disk, bql } = this;
    if (!disk || !bql) return undefined;
    return machineStats(this.ctl, disk.stats(), bql, disk.pool.completionBatch, this.vcpus);
  }

  /** Record this machine's trace from now until stop() (app/trace-recorder.ts). */
  startTrace(): TraceRecorder {
    const { disk, loop } = this;
    if (!disk || !loop) throw new Error('the in-memory machine has no trace');
    return new TraceRecorder({
      image: this.image,
      ctl: loop.ctl,
      loop,
      disk,
      vcpus: this.vcpus,
      poolConfig: disk.poolConfig,
    });
  }

  // ---- power ----

  /** Power on: a fresh v86 on a new thread boots the guest; resolves once the PC runs. */
  async start(): Promise<void> {
    this.checkAlive();
    if (this.power !== 'off') throw new Error(`the Linux machine is ${this.power}, not off`);
    await this.drained();
    if (this.loop) Atomics.store(this.ctl.i32, this.ctl.L.vcpu.irq.at(VCPU), 0);
    this.power = 'starting';
    this.guest = 'booting';
    this.controlText = '';
    this.vcpu.generation++;
    this.changed();
    const worker = spawnLinuxWorker();
    const api = wrap<LinuxWorkerApi<MessagePort>>(worker);
    const channel = new MessageChannel();
    channel.port1.onmessage = (e: MessageEvent<SerialMessage>) => this.receive(e.data);
    this.worker = worker;
    this.api = api;
    this.serial = channel.port1;
    const f = this.files;
    // A worker that fails to load never answers: its error event, or the deadline, ends the wait.
    const failed = new Promise<never>((_, reject) =>
      worker.addEventListener(
        'error',
        (e) => reject(new Error(`v86's worker failed: ${e.message || 'see the console'}`)),
        { once: true },
      ),
    );
    // A failure after the start is the console's to show, not an unhandled rejection.
    failed.catch(() => undefined);
    try {
      const init = api.init(
        {
          wasmUrl: f.wasmUrl,
          biosUrl: f.biosUrl,
          vgaBiosUrl: f.vgaBiosUrl,
          kernelUrl: f.kernelUrl,
          initrdUrl: f.initrdUrl,
          cmdline: this.cmdline,
          memoryBytes: this.memoryBytes,
          disk: this.diskInit,
        },
        transfer(channel.port2, [channel.port2]),
      );
      await deadline(
        Promise.race([init, failed]),
        START_MS,
        'v86 starting (the guest\u2019s files)',
      );
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
    this.controlText = '';
    this.changed();
    await this.api.reset();
  }

  /** Stop, then shut the disk's pool down and release the image. */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      try {
        await this.stop();
      } finally {
        document.removeEventListener('visibilitychange', this.onHidden);
        removeEventListener('pagehide', this.onPageHide);
        try {
          await this.disk?.close();
        } finally {
          await this.loop?.stop();
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
    await this.drained();
    const holdsPoolLock = (await api?.quiesce().catch(() => false)) ?? false;
    worker?.terminate();
    this.serial?.close();
    this.serial = undefined;
    if (holdsPoolLock && this.disk) await this.disk.pool.recoverOrphansLocked(threadIdOfVcpu(VCPU));
    if (this.disk) await this.disk.writeBack();
    this.power = 'off';
    this.changed();
  }

  /** Until every request the IDE front end submitted has completed. */
  private async drained(): Promise<void> {
    if (!this.loop) return;
    const { i32, L } = this.ctl;
    for (;;) {
      const n = Atomics.load(i32, L.ide.inflight);
      if (n === 0) return;
      const w = Atomics.waitAsync(i32, L.ide.inflight, n, 1000);
      if (w.async) await w.value;
    }
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

  private writeBackBestEffort(): void {
    void this.disk?.writeBack().catch((e: unknown) => {
      console.warn(`Linux machine: write-back on hiding the page failed: ${(e as Error).message}`);
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
    this.controlText += new TextDecoder().decode(bytes);
    const lines = this.controlText.split('\n');
    this.controlText = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.replaceAll('\r', '').trim();
      const state = CONTROL_LINES.find(([re]) => re.test(line))?.[1];
      if (state && state !== this.guest) {
        this.guest = state;
        this.changed();
      }
    }
  }

  // ---- completions (the main loop's completion BH, under the BQL) ----

  private complete(slot: number, ret: number): void {
    const ctl = this.ctl;
    if (ret < 0) {
      const { i32, f64, L } = ctl;
      const op = i32[L.slot.op.at(slot)] as BlockOp;
      const byteOffset = f64[L.slot.byteOffset.at(slot)];
      const nbytes = f64[L.slot.nbytes.at(slot)];
      const why = this.disk?.backingFault();
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

  private checkAlive(): void {
    if (this.destroyed) throw new Error(`the Linux machine on image "${this.image}" is destroyed`);
  }
}
