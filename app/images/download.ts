// Saving a stream as a file: the File System Access save picker where the browser has one;
// otherwise a streamed download through our service worker (public/download-sw.js), which hands
// the page's stream to the browser's download manager; failing that, a Blob (Chromium keeps large
// blobs on disk, but the download only starts once the whole stream is read).

import { activeWorker } from '../service-worker.ts';
import { Errno, ErrnoError } from '../shared/block/errno.ts';

export type SaveMethod = 'picker' | 'download' | 'blob';

interface SavePickerWindow {
  showSaveFilePicker?: (opts: { suggestedName: string }) => Promise<FileSystemFileHandle>;
}

const SW_URL = `${import.meta.env.BASE_URL}download-sw.js`;
/** The worker's scope, and the URLs it answers: its own, below the page's, so that it never
 *  controls the page — on a host without COOP/COEP the coi worker does (app/coi.ts), and a scope
 *  has one worker. The download's iframe navigates here, and scopes match longest first. */
const DOWNLOAD_SCOPE = `${import.meta.env.BASE_URL}__webaio-download/`;
/** Messages keep the service worker alive while a long download streams through it. */
const PING_MS = 10_000;

export const hasSavePicker = () =>
  typeof (window as SavePickerWindow).showSaveFilePicker === 'function';

async function viaPicker(stream: ReadableStream<Uint8Array>, filename: string): Promise<void> {
  const pick = (window as SavePickerWindow).showSaveFilePicker;
  if (!pick) throw new Error('no save picker');
  let handle: FileSystemFileHandle;
  try {
    handle = await pick({ suggestedName: filename });
  } catch (e) {
    await stream.cancel().catch(() => undefined);
    if ((e as Error).name === 'AbortError') {
      throw new ErrnoError(Errno.ECANCELED, `saving "${filename}" cancelled in the save dialog`);
    }
    throw e;
  }
  await stream.pipeTo(await handle.createWritable());
}

async function downloadWorker(): Promise<ServiceWorker | undefined> {
  if (!('serviceWorker' in navigator)) return undefined;
  try {
    return await activeWorker(
      await navigator.serviceWorker.register(SW_URL, { scope: DOWNLOAD_SCOPE }),
    );
  } catch (e) {
    console.warn(`download service worker unavailable: ${String(e)}`);
    return undefined;
  }
}

async function viaServiceWorker(
  sw: ServiceWorker,
  stream: ReadableStream<Uint8Array>,
  filename: string,
  size: number | undefined,
): Promise<void> {
  const id = crypto.randomUUID();
  // Our own end of the stream, to learn when the browser has taken every byte, or why not.
  const reader = stream.getReader();
  let settle: (e?: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = (e) => (e === undefined ? resolve() : reject(e));
  });
  const watched = new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        try {
          const { value, done: end } = await reader.read();
          if (end) {
            c.close();
            settle();
          } else {
            c.enqueue(value);
          }
        } catch (e) {
          c.error(e);
          settle(e);
        }
      },
      cancel(reason) {
        void reader.cancel(reason).catch(() => undefined);
        settle(new ErrnoError(Errno.ECANCELED, `download of "${filename}" cancelled`));
      },
    },
    { highWaterMark: 0 },
  );
  const channel = new MessageChannel();
  const ready = new Promise<void>((resolve) => (channel.port1.onmessage = () => resolve()));
  sw.postMessage({ type: 'download', id, filename, size, stream: watched }, [
    channel.port2,
    watched as unknown as Transferable,
  ]);
  await ready;
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.src = `${DOWNLOAD_SCOPE}${encodeURIComponent(id)}/${encodeURIComponent(filename)}`;
  document.body.append(frame);
  const ping = setInterval(() => sw.postMessage({ type: 'ping' }), PING_MS);
  try {
    await done;
  } finally {
    clearInterval(ping);
    setTimeout(() => frame.remove(), 1000);
  }
}

async function viaBlob(stream: ReadableStream<Uint8Array>, filename: string): Promise<void> {
  saveBlob(await new Response(stream).blob(), filename);
}

/** Save a Blob already in memory as `filename`, through a download link. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Save `stream` as `filename`; resolves once every byte has been handed to the browser. */
export async function saveStream(
  stream: ReadableStream<Uint8Array>,
  filename: string,
  size?: number,
): Promise<SaveMethod> {
  if (hasSavePicker()) {
    await viaPicker(stream, filename);
    return 'picker';
  }
  const sw = await downloadWorker();
  if (sw) {
    await viaServiceWorker(sw, stream, filename, size);
    return 'download';
  }
  await viaBlob(stream, filename);
  return 'blob';
}
