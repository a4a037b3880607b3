// The disk image format (docs/api.md, "Images"): one IndexedDB database per image, a store of fixed-size
// chunks keyed by chunk index and a store holding one metadata record. Byte n of the disk is
// byte n of the image; a missing chunk reads as zeros — or, in an overlay of a base image over
// HTTP, as the base's bytes. This file has the names, the values and the checks; the page and the
// workers each do their own IndexedDB calls.

import { SECTOR_SIZE } from './block.ts';
import { Errno, ErrnoError } from './errno.ts';

export const IMAGE_DB_PREFIX = 'webaio-image:';
export const IMAGE_DB_VERSION = 1;
export const STORE_CHUNKS = 'chunks';
export const STORE_META = 'meta';
export const META_KEY = 'image';

export const CHUNK_SIZE_MIN = 4096;
export const CHUNK_SIZE_MAX = 32768;
/** Chromium keeps values of 64 KiB and more as separate blob files, about 2x slower. */
export const CHUNK_SIZE_DEFAULT = 32768;
/** 1 TiB: far beyond what a browser will store, small enough for exact doubles everywhere. */
export const VIRTUAL_SIZE_MAX = 2 ** 40;

/** Bytes fetched from a base per HTTP request, at least (aligned pieces; cf. qcow2 clusters). */
export const FETCH_BYTES_DEFAULT = 256 << 10;
export const FETCH_BYTES_MAX = 16 << 20;

/**
 * Chunk values in the chunks store. A plain ArrayBuffer of chunkSize bytes is data written to
 * the image. In an overlay, a chunk fetched from the base and never written is kept *clean*
 * (`{ clean }`: the base's bytes, fetched once), and a discarded or zeroed one is a tombstone
 * (ZERO_CHUNK: reads as zeros, never falls through to the base). A missing chunk is zeros in a
 * plain image and "not fetched yet" in an overlay.
 */
export const ZERO_CHUNK = 0;
export interface CleanChunk {
  clean: ArrayBuffer;
}
export type ChunkValue = ArrayBuffer | CleanChunk | typeof ZERO_CHUNK;

/** The base image an overlay reads through to (cf. qcow2's backing file). */
export interface BackingMeta {
  /** Absolute http(s) URL; the server must answer Range requests with 206. */
  url: string;
  /** The base's size in bytes when the overlay was made. */
  baseSize: number;
  /** Bytes of the base still visible through the overlay: baseSize, less what a shrink cut off
   *  (growing again must read zeros there, not the base). */
  extent: number;
  /** The base's validators when the overlay was made; a base answering with others has changed. */
  etag: string | null;
  lastModified: string | null;
  /** Bytes per HTTP request: a multiple of chunkSize, aligned in the base. */
  fetchBytes: number;
}

/** The metadata record. `generation` counts flushes that reached the disk. */
export interface ImageMeta {
  format: 'raw';
  virtualSize: number;
  chunkSize: number;
  created: number;
  generation: number;
  backing?: BackingMeta;
  /** Set while an import writes the image; an image left with it is a crashed import's. */
  importing?: boolean;
}

export interface ImageInfo {
  name: string;
  format: 'raw';
  virtualSize: number;
  /** Bytes of the chunks actually stored (sparse images store less; an overlay's clean chunks
   *  count too). */
  actualSize: number;
  chunkSize: number;
  created: number;
  /** The base image, for an overlay. */
  backing?: BackingMeta;
  /** An import is still writing it. */
  importing?: boolean;
  /** Who has it open right now, in any tab ("machine", "openBlock", "import", "export", …). */
  inUse: string[];
  /** list() only: why the image cannot be read (its other fields are then 0); delete it. */
  error?: string;
}

export const imageDbName = (name: string) => `${IMAGE_DB_PREFIX}${name}`;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

declare const imageName: unique symbol;
/** A name checkImageName() accepted: what takes one need not check it again. */
export type ImageName = string & { readonly [imageName]: true };

export function checkImageName(name: unknown): ImageName {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new ErrnoError(
      Errno.EINVAL,
      `image name ${JSON.stringify(name)} is not 1-64 letters, digits, ".", "_" or "-" ` +
        `starting with a letter or digit`,
    );
  }
  return name as ImageName;
}

export function checkChunkSize(chunkSize: unknown): number {
  const ok =
    typeof chunkSize === 'number' &&
    Number.isInteger(chunkSize) &&
    chunkSize >= CHUNK_SIZE_MIN &&
    chunkSize <= CHUNK_SIZE_MAX &&
    (chunkSize & (chunkSize - 1)) === 0;
  if (!ok) {
    throw new ErrnoError(
      Errno.EINVAL,
      `chunk size ${String(chunkSize)} is not a power of two from ${CHUNK_SIZE_MIN} to ${CHUNK_SIZE_MAX}`,
    );
  }
  return chunkSize;
}

export function checkFetchBytes(fetchBytes: unknown, chunkSize: number): number {
  const ok =
    typeof fetchBytes === 'number' &&
    Number.isInteger(fetchBytes) &&
    fetchBytes >= chunkSize &&
    fetchBytes <= FETCH_BYTES_MAX &&
    fetchBytes % chunkSize === 0;
  if (!ok) {
    throw new ErrnoError(
      Errno.EINVAL,
      `fetch size ${String(fetchBytes)} is not a multiple of the chunk size ${chunkSize} ` +
        `up to ${FETCH_BYTES_MAX}`,
    );
  }
  return fetchBytes;
}

export function checkVirtualSize(sizeBytes: unknown): number {
  const ok =
    typeof sizeBytes === 'number' &&
    Number.isSafeInteger(sizeBytes) &&
    sizeBytes > 0 &&
    sizeBytes <= VIRTUAL_SIZE_MAX &&
    sizeBytes % SECTOR_SIZE === 0;
  if (!ok) {
    throw new ErrnoError(
      Errno.EINVAL,
      `image size ${String(sizeBytes)} is not a positive multiple of ${SECTOR_SIZE} bytes ` +
        `up to ${VIRTUAL_SIZE_MAX}`,
    );
  }
  return sizeBytes;
}

/** Check a metadata record read from storage (it may come from an older or foreign writer). */
export function parseMeta(value: unknown, name: string): ImageMeta {
  const bad = (why: string) =>
    new ErrnoError(Errno.EIO, `image "${name}" has unreadable metadata: ${why}`);
  if (typeof value !== 'object' || value === null) throw bad(`record is ${String(value)}`);
  const m = value as Record<string, unknown>;
  if (m.format !== 'raw') throw bad(`format ${JSON.stringify(m.format)} is not "raw"`);
  for (const key of ['virtualSize', 'chunkSize', 'created', 'generation'] as const) {
    if (typeof m[key] !== 'number') throw bad(`${key} ${JSON.stringify(m[key])} is not a number`);
  }
  try {
    checkVirtualSize(m.virtualSize);
    checkChunkSize(m.chunkSize);
  } catch (e) {
    throw bad((e as Error).message);
  }
  const meta: ImageMeta = {
    format: 'raw',
    virtualSize: m.virtualSize as number,
    chunkSize: m.chunkSize as number,
    created: m.created as number,
    generation: m.generation as number,
  };
  if (m.importing === true) meta.importing = true;
  if (m.backing !== undefined) meta.backing = parseBacking(m.backing, meta.chunkSize, bad);
  return meta;
}

function parseBacking(value: unknown, chunkSize: number, bad: (why: string) => Error): BackingMeta {
  if (typeof value !== 'object' || value === null) throw bad(`backing is ${String(value)}`);
  const b = value as Record<string, unknown>;
  if (typeof b.url !== 'string' || !/^https?:/.test(b.url)) {
    throw bad(`backing url ${JSON.stringify(b.url)} is not an http(s) URL`);
  }
  for (const key of ['baseSize', 'extent'] as const) {
    if (!Number.isSafeInteger(b[key]) || (b[key] as number) < 0) {
      throw bad(`backing ${key} ${JSON.stringify(b[key])} is not a byte count`);
    }
  }
  for (const key of ['etag', 'lastModified'] as const) {
    if (b[key] !== null && typeof b[key] !== 'string') {
      throw bad(`backing ${key} ${JSON.stringify(b[key])} is not a string or null`);
    }
  }
  try {
    checkFetchBytes(b.fetchBytes, chunkSize);
  } catch (e) {
    throw bad((e as Error).message);
  }
  return {
    url: b.url,
    baseSize: b.baseSize as number,
    extent: b.extent as number,
    etag: b.etag as string | null,
    lastModified: b.lastModified as string | null,
    fetchBytes: b.fetchBytes as number,
  };
}

/** How a base is named in messages: its URL and the validator it had. */
export function describeBase(b: Pick<BackingMeta, 'url' | 'etag' | 'lastModified'>): string {
  const v = b.etag ? `ETag ${b.etag}` : b.lastModified ? `Last-Modified ${b.lastModified}` : '';
  return v ? `${b.url} (${v})` : b.url;
}

/** Whether a chunk's bytes are all zero (stored as nothing: images are sparse). */
export function isZeroChunk(bytes: Uint8Array): boolean {
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  for (let k = 0; k < words.length; k++) if (words[k] !== 0) return false;
  return true;
}
