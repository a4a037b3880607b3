// v86's thread: the worker a Linux machine's PC runs on (a vCPU, so the page's main thread keeps
// running the main loop and the UI), its comlink API, and the serial ports' channel to it.

import { transfer, wrap, type Remote } from 'comlink';
import { spawnLinuxWorker } from '../spawn.ts';
import type { LinuxInit, LinuxWorkerApi, SerialMessage } from '../shared/contracts.ts';
import { deadline } from '../shared/sync/deadline.ts';

/** v86 fetching ~10 MB (wasm, BIOS, kernel, initramfs) and starting. */
const START_MS = 120_000;

export interface V86Thread {
  worker: Worker;
  api: Remote<LinuxWorkerApi<MessagePort>>;
  /** The page's end of the serial ports' channel. */
  serial: MessagePort;
  /** The worker's end, handed over by initV86(). */
  port: MessagePort;
}

/** A new worker for v86; the bytes its serial ports send go to `receive`. */
export function spawnV86(receive: (m: SerialMessage) => void): V86Thread {
  const worker = spawnLinuxWorker();
  const api = wrap<LinuxWorkerApi<MessagePort>>(worker);
  const channel = new MessageChannel();
  channel.port1.onmessage = (e: MessageEvent<SerialMessage>) => receive(e.data);
  return { worker, api, serial: channel.port1, port: channel.port2 };
}

/** Load v86 and the guest's files on the thread and start the PC; resolves once it runs. */
export async function initV86(thread: V86Thread, init: LinuxInit): Promise<void> {
  const { worker, api, port } = thread;
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
  await deadline(
    Promise.race([started, failed]),
    START_MS,
    'v86 starting (the guest\u2019s files)',
  );
}
