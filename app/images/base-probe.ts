// The page's look at a base image over HTTP before it makes or opens an overlay of it: does the
// URL answer, does the server honour Range, how big is the base, and which validators (ETag,
// Last-Modified) does it carry. The AIO workers do the fetching (workers/block/backing.ts).

import { Errno, ErrnoError } from '../shared/block/errno.ts';
import { describeBase, type BackingMeta } from '../shared/block/image-format.ts';

export interface BaseProbe {
  url: string;
  size: number;
  etag: string | null;
  lastModified: string | null;
}

/** One small Range request (its first sector): EIO naming the URL if it does not answer or
 *  ignores Range. (Not bytes=0-0: sirv, Vite's static server, reads an end of 0 as "to the end".) */
export async function probeBase(url: string): Promise<BaseProbe> {
  let abs: URL;
  try {
    abs = new URL(url, location.href);
  } catch {
    throw new ErrnoError(Errno.EINVAL, `base image URL ${JSON.stringify(url)} is not a URL`);
  }
  if (abs.protocol !== 'http:' && abs.protocol !== 'https:') {
    throw new ErrnoError(Errno.EINVAL, `base image URL ${abs.href} is not http(s)`);
  }
  let res: Response;
  try {
    res = await fetch(abs, { headers: { Range: 'bytes=0-511' }, cache: 'no-store' });
  } catch (e) {
    throw new ErrnoError(Errno.EIO, `base image ${abs.href} does not answer: ${String(e)}`);
  }
  // Never read a body we did not ask for: a server ignoring Range would send the whole base.
  void res.body?.cancel();
  if (res.status === 200) {
    throw new ErrnoError(
      Errno.EIO,
      `the server of base image ${abs.href} ignores HTTP Range requests (it answered 200 with ` +
        `the whole file, not 206): WebAIO needs Range to fetch the base piece by piece`,
    );
  }
  if (res.status !== 206) {
    throw new ErrnoError(
      res.status === 404 ? Errno.ENOENT : Errno.EIO,
      `base image ${abs.href} answered ${res.status} ${res.statusText}`.trimEnd(),
    );
  }
  const range = res.headers.get('Content-Range') ?? '';
  const size = Number(/\/(\d+)$/.exec(range)?.[1]);
  if (!Number.isSafeInteger(size)) {
    throw new ErrnoError(
      Errno.EIO,
      `base image ${abs.href} sent no total size in Content-Range ${JSON.stringify(range)} ` +
        `(cross-origin servers must expose Content-Range, ETag and Last-Modified)`,
    );
  }
  return {
    url: abs.href,
    size,
    etag: res.headers.get('ETag'),
    lastModified: res.headers.get('Last-Modified'),
  };
}

/** Opening an overlay: EIO if its base answers with other validators or another size. A base
 *  that does not answer is no reason to refuse: what the overlay holds can still be read. */
export async function checkBaseUnchanged(image: string, b: BackingMeta): Promise<void> {
  let now: BaseProbe;
  try {
    now = await probeBase(b.url);
  } catch (e) {
    if (e instanceof ErrnoError && /does not answer/.test(e.message)) return;
    throw new ErrnoError(Errno.EIO, `image "${image}": ${(e as Error).message}`);
  }
  const changed =
    (b.etag !== null && now.etag !== b.etag) ||
    (b.etag === null && b.lastModified !== null && now.lastModified !== b.lastModified) ||
    now.size !== b.baseSize;
  if (changed) {
    throw new ErrnoError(
      Errno.EIO,
      `image "${image}": its base changed since the overlay was made: it was ${describeBase(b)}, ` +
        `${b.baseSize} bytes; it is now ${describeBase(now)}, ${now.size} bytes. Refusing to mix ` +
        `old and new data: delete the overlay and make a new one`,
    );
  }
}
