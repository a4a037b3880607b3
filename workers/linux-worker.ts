// v86's thread: an emulated PC booting the guest's kernel and initramfs, its IDE hard disk a
// front end on WebAIO's block layer (workers/linux/aio-disk.ts) — or, for the benchmark's
// baseline, an ArrayBuffer as v86 keeps one by default. Like a vCPU thread, it takes the BQL to
// submit and, under the `inline` policy, creates the pool workers it needs; v86 runs on this
// thread's event loop, so nothing here blocks but the BQL and the pool lock, briefly.

import { expose, wrap } from 'comlink';
import { V86, type V86Image } from 'v86';
import { aioWorkerCreator, type AioSpawn } from '../app/shared/pool/aio-creator.ts';
import { quiesceOwnWorkers } from '../app/shared/pool/pool-orphans.ts';
import { BounceBuffer } from '../app/shared/block/bounce.ts';
import type {
  AioWorkerApi,
  LinuxInit,
  LinuxWorkerApi,
  SerialMessage,
} from '../app/shared/contracts.ts';
import { ideRingReset } from '../app/shared/virtio/ide-ring.ts';
import { attachControl, LAYOUT_VERSION } from '../app/shared/layout/layout.ts';
import { threadIdOfVcpu } from '../app/shared/pool/record-layout.ts';
import { PoolCore } from '../app/shared/pool/thread-pool.ts';
import { AioDisk } from './linux/aio-disk.ts';

/** v86 is vCPU 0 of its machine. */
const VCPU = 0;
/** Serial ports the page hears: the console (ttyS0) and the control channel (ttyS1). */
const UARTS = [0, 1];

/** A pool worker created by this thread (`inline`): nested, owned by it, dies with it. */
const spawnNestedAioWorker: AioSpawn = (name) => {
  const worker = new Worker(new URL('./aio-worker.ts', import.meta.url), { type: 'module', name });
  return { worker, init: (init) => wrap<AioWorkerApi>(worker).init(init) };
};

let emulator: V86 | undefined;
let disk: AioDisk | undefined;
let pool: PoolCore | undefined;

/** Each port's bytes since the last post, sent once per turn of the event loop. */
function serialOut(port: MessagePort, pc: V86): void {
  const pending = UARTS.map(() => [] as number[]);
  let scheduled = false;
  const post = () => {
    scheduled = false;
    for (const uart of UARTS) {
      if (pending[uart].length === 0) continue;
      const bytes = Uint8Array.from(pending[uart]);
      pending[uart] = [];
      port.postMessage({ uart, bytes } satisfies SerialMessage, [bytes.buffer]);
    }
  };
  for (const uart of UARTS) {
    pc.add_listener(`serial${uart}-output-byte` as 'serial0-output-byte', (byte: number) => {
      pending[uart].push(byte);
      if (!scheduled) {
        scheduled = true;
        setTimeout(post, 0);
      }
    });
  }
  port.onmessage = (e: MessageEvent<SerialMessage>) =>
    pc.serial_send_bytes(e.data.uart, e.data.bytes);
}

function hardDisk(init: LinuxInit): V86Image {
  const d = init.disk;
  if (d.kind === 'memory') return { buffer: new ArrayBuffer(d.virtualSize) };
  const ctl = attachControl(d.ctl);
  const thread = threadIdOfVcpu(VCPU);
  pool = new PoolCore(ctl);
  ideRingReset(ctl);
  disk = new AioDisk({
    ctl,
    dma: new BounceBuffer(d.dma),
    pool,
    creator: aioWorkerCreator(thread, pool, d.aio, spawnNestedAioWorker),
    nslots: ctl.L.params.ideRing ?? 0,
    vcpu: VCPU,
    thread,
    virtualSize: d.virtualSize,
    writeCache: d.writeCache,
  });
  void disk.serveInterrupts();
  // v86 takes any object with get, set and load as a disk; its types do not say so.
  return disk as unknown as V86Image;
}

/** Power on a new PC on the disk `hda` (the same disk across resets). */
async function powerOn(init: LinuxInit, hda: V86Image, serial: MessagePort): Promise<void> {
  const pc = new V86({
    wasm_path: init.wasmUrl,
    memory_size: init.memoryBytes,
    vga_memory_size: 2 << 20,
    bios: { url: init.biosUrl },
    vga_bios: { url: init.vgaBiosUrl },
    bzimage: { url: init.kernelUrl },
    initrd: { url: init.initrdUrl },
    cmdline: init.cmdline,
    hda,
    uart1: true,
    autostart: true,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
  });
  emulator = pc;
  serialOut(serial, pc);
  await new Promise<void>((resolve) => pc.add_listener('emulator-started', () => resolve()));
}

let booted: { init: LinuxInit; hda: V86Image; serial: MessagePort } | undefined;

const api = {
  async init(init: LinuxInit, serial: MessagePort) {
    if (booted) throw new Error('linux worker: init() twice');
    booted = { init, hda: hardDisk(init), serial };
    await powerOn(init, booted.hda, serial);
    return {
      thread: 'v86',
      layoutVersion: LAYOUT_VERSION,
      byteLength: init.disk.kind === 'aio' ? init.disk.ctl.byteLength : 0,
    };
  },

  async stop() {
    await emulator?.stop();
    disk?.stop();
  },

  async reset() {
    // v86's own restart reloads the BIOS but not a kernel given as bzimage (it came through
    // fw_cfg, which the restart clears): a reset is a new PC on the same disk.
    if (!booted) throw new Error('linux worker: reset() before init()');
    const old = emulator;
    emulator = undefined;
    disk?.forgetAnswers();
    await old?.destroy();
    await powerOn(booted.init, booted.hda, booted.serial);
  },

  async quiesce() {
    // None of its pool workers may die holding the write gate, the cache's locks or pins.
    return pool ? quiesceOwnWorkers(pool, threadIdOfVcpu(VCPU)) : false;
  },
} satisfies LinuxWorkerApi<MessagePort>;

expose(api);
