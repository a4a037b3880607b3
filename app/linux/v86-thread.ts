// v86's thread: the worker a Linux machine's PC runs on (a vCPU, so the page's main thread keeps
// running the main loop and the UI), its comlink API, and the serial ports' channel to it; from
// its start to its end, which waits for the requests it left in flight.

import { transfer, wrap, type Remote } from 'comlink';
import { spawnLinuxWorker } from '../spawn.ts';
import type { LinuxInit, LinuxWorkerApi, SerialMessage } from '../shared/contracts.ts';
import { deadline } from '../shared/sync/deadline.ts';

/** v86 fetching ~10 MB (wasm, BIOS, kernel, initramfs) and starting. */
const START_MS = 120_000;

export class V86Thread {
  private readonly worker: Worker;
  private readonly api: Remote<LinuxWorkerApi<MessagePort>>;
  /** The page's end of the serial ports' channel. */
  private readonly serial: MessagePort;
  /** The worker's end, handed over by start(). */
  private readonly port: MessagePort;
  /** False once the thread failed to start or is being ended: nothing more is asked of it. */
  private answering = true;

  /** A new worker for v86; the bytes its serial ports send go to `receive`. */
  constructor(receive: (m: SerialMessage) => void) {
    this.worker = spawnLinuxWorker();
    this.api = wrap<LinuxWorkerApi<MessagePort>>(this.worker);
    const channel = new MessageChannel();
    channel.port1.onmessage = (e: MessageEvent<SerialMessage>) => receive(e.data);
    this.serial = channel.port1;
    this.port = channel.port2;
  }

  /** Load v86 and the guest's files on the thread and start the PC; resolves once it runs. */
  async start(init: LinuxInit): Promise<void> {
    const { worker, api, port } = this;
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
    const started = api.init(init, transfer(port, [port]));
    try {
      await deadline(
        Promise.race([started, failed]),
        START_MS,
        'v86 starting (the guest\u2019s files)',
      );
    } catch (e) {
      // Nothing more is asked of a worker that did not start: it is ended.
      this.answering = false;
      throw e;
    }
  }

  /** Bytes for serial port `uart` (until the thread ends). */
  send(uart: number, bytes: Uint8Array): void {
    this.serial.postMessage({ uart, bytes } satisfies SerialMessage);
  }

  /** The PC's reset button: a fresh boot on the same disk; resolves once the new PC runs. */
  reset(): Promise<void> {
    return this.api.reset();
  }

  /**
   * Stop the CPU, wait until `drained` (the requests the PC left in the pool have completed),
   * let the thread quiesce, and end it. True if it ended holding the pool's lock (its orphans
   * are then the page's to recover).
   */
  async end(drained: () => Promise<void>): Promise<boolean> {
    const asked = this.answering;
    this.answering = false;
    if (asked) await this.api.stop().catch(() => undefined);
    await drained();
    const holdsPoolLock = asked ? await this.api.quiesce().catch(() => false) : false;
    this.worker.terminate();
    this.serial.close();
    return holdsPoolLock;
  }
}
