// A probe, not the product: v86 on the page's main thread, as a PC emulator page usually runs it,
// booting the same guest with its disk an ArrayBuffer, so the benchmark can set the main
// thread's longest task then beside the product's (v86 on a worker of its own).

import { V86 } from 'v86';
import { guestFiles } from '../../app/linux/guest-files.ts';
import { DEFAULT_CMDLINE } from '../../app/linux/linux-config.ts';

/** Boot on a blank in-memory disk of `diskBytes` until the guest's init says it is ready (on
 *  its control port), then destroy the PC. */
export async function bootV86OnMainThread(diskBytes: number, timeoutMs: number): Promise<void> {
  const f = await guestFiles();
  const pc = new V86({
    wasm_path: f.wasmUrl,
    memory_size: 128 << 20,
    vga_memory_size: 2 << 20,
    bios: { url: f.biosUrl },
    vga_bios: { url: f.vgaBiosUrl },
    bzimage: { url: f.kernelUrl },
    initrd: { url: f.initrdUrl },
    cmdline: DEFAULT_CMDLINE,
    hda: { buffer: new ArrayBuffer(diskBytes) },
    uart1: true,
    autostart: true,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let line = '';
      pc.add_listener('serial1-output-byte', (byte: number) => {
        const c = String.fromCharCode(byte);
        if (c !== '\n') {
          line += c;
          return;
        }
        const said = line.replace('\r', '').trim();
        line = '';
        if (said === 'ready') resolve();
        else if (/^(nodisk|nofs|nomount|fsck \d+)$/.test(said)) {
          reject(new Error(`the guest said "${said}"`));
        }
      });
      timer = setTimeout(
        () => reject(new Error(`v86 on the main thread: not ready in ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
  } finally {
    clearTimeout(timer);
    await pc.destroy();
  }
}
