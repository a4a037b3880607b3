// images.export: an image as a ReadableStream of its bytes, byte for byte the disk (a raw image
// qemu-img reads as is). It reads through the image's own block backend, one piece per request
// with one more in flight, so memory holds two pieces however big the disk; an overlay's
// missing chunks come from its base as any read's do.

import { BlockIo } from '../block/block-io.ts';
import { checkImageName } from '../shared/block/image-format.ts';

/** Bytes per read request. */
const PIECE_BYTES = 4 << 20;

export function exportImage(name: string): ReadableStream<Uint8Array> {
  checkImageName(name);
  let b: BlockIo | undefined;
  let next = 0;
  let ahead: Promise<Uint8Array> | undefined;
  const read = (io: BlockIo) => {
    const at = next;
    const n = Math.min(PIECE_BYTES, io.virtualSize - at);
    next += n;
    return io.pread(at, n);
  };
  const close = async () => {
    await ahead?.catch(() => undefined);
    ahead = undefined;
    await b?.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async start() {
        b = await BlockIo.open(name, {}, 'export');
      },
      async pull(controller) {
        const io = b;
        if (!io) return;
        try {
          const current = ahead ?? read(io);
          ahead = next < io.virtualSize ? read(io) : undefined;
          controller.enqueue(await current);
          if (!ahead) {
            controller.close();
            await close();
          }
        } catch (e) {
          await close();
          throw e;
        }
      },
      cancel: close,
    },
    { highWaterMark: 1 },
  );
}
