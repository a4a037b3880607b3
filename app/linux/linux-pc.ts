// A Linux machine's PC: v86 on a thread of its own, powered on, reset and powered off (gracefully
// first, asked on the guest's control port), the guest's state as its init reports it there, and
// the serial console (cf. QEMU's runstate: vm_start(), qemu_system_reset(), a powerdown request).
// The machine it is in (linux-machine.ts) owns the disk, the main loop and the BQL.

import type { LinuxInit, SerialMessage } from '../shared/contracts.ts';
import { ControlPort, type GuestState } from './guest-control.ts';
import { VCPU } from './linux-config.ts';
import { SerialConsole } from './serial-console.ts';
import { V86Thread } from './v86-thread.ts';

const GRACEFUL_STOP_MS = 30_000;

/** The emulated PC: off, starting v86, running, or shutting down. */
export type LinuxPower = 'off' | 'starting' | 'running' | 'stopping';

/** What the PC asks of the machine it is in. */
export interface PcBoard {
  /** The power or the guest's state changed. */
  changed(): void;
  /** Called whenever the machine changes (the PC's power and state among the rest). */
  onChange(fn: () => void): () => void;
  /** Before a fresh v86 starts: the last one's requests completed, its interrupt line low. */
  beforeStart(): Promise<void>;
  /** Until every request the disk's front end submitted has completed. */
  drained(): Promise<void>;
  /** v86's thread has ended, holding the pool's lock or not: its orphans recovered, the page
   *  cache written back. */
  afterEnd(holdsPoolLock: boolean): Promise<void>;
}

export class LinuxPc {
  power: LinuxPower = 'off';
  guest: GuestState = 'booting';
  /** The guest's console (ttyS0). */
  readonly console: SerialConsole;
  /** v86's thread, as the page's tables and traces name vCPUs. */
  readonly vcpu: { index: number; generation: number; jobLabel: string } = {
    index: VCPU,
    generation: 0,
    jobLabel: 'Linux (v86)',
  };
  private readonly init: LinuxInit;
  private readonly board: PcBoard;
  /** v86's thread while the PC is on. */
  private thread: V86Thread | undefined;
  private readonly control = new ControlPort();
  private stopping: Promise<void> | undefined;

  /** A PC that boots `init` when started, in `board`. */
  constructor(init: LinuxInit, board: PcBoard) {
    this.init = init;
    this.board = board;
    this.console = new SerialConsole((bytes) => this.sendSerial(0, bytes));
  }

  /** Power on: a fresh v86 on a new thread boots the guest; resolves once the PC runs. */
  async start(): Promise<void> {
    if (this.power !== 'off') throw new Error(`the Linux machine is ${this.power}, not off`);
    await this.board.beforeStart();
    this.power = 'starting';
    this.guest = 'booting';
    this.control.reset();
    this.vcpu.generation++;
    this.board.changed();
    const thread = new V86Thread((m) => this.receive(m));
    this.thread = thread;
    try {
      await thread.start(this.init);
    } catch (e) {
      await this.powerOff();
      throw e;
    }
    this.power = 'running';
    this.board.changed();
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
        const off = this.board.onChange(() => {
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
    this.board.changed();
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
    const { thread } = this;
    if (this.power !== 'running' || !thread) {
      throw new Error(`the Linux machine is ${this.power}: nothing to reset`);
    }
    this.guest = 'booting';
    this.control.reset();
    this.board.changed();
    await thread.reset();
  }

  /** v86 stopped, its requests drained, its thread ended, the page cache written back. */
  private async powerOff(): Promise<void> {
    const { thread } = this;
    const drained = () => this.board.drained();
    let holdsPoolLock = false;
    if (thread) holdsPoolLock = await thread.end(drained);
    else await drained();
    this.thread = undefined;
    await this.board.afterEnd(holdsPoolLock);
    this.power = 'off';
    this.board.changed();
  }

  private untilGuest(state: GuestState, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.guest === state) return resolve();
      const timer = setTimeout(() => {
        off();
        reject(new Error(`the guest did not reach "${state}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.board.onChange(() => {
        if (this.guest !== state) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  // ---- serial ports ----

  private sendSerial(uart: number, bytes: Uint8Array): void {
    this.thread?.send(uart, bytes);
  }

  private receive({ uart, bytes }: SerialMessage): void {
    if (uart === 0) {
      this.console.receive(bytes);
      return;
    }
    for (const state of this.control.receive(bytes)) {
      if (state !== this.guest) {
        this.guest = state;
        this.board.changed();
      }
    }
  }
}
