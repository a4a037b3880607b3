// window.webaio: the scripting API that the page, the benchmark and the tests all use.

import { BlockBackend, type BlockBackendOptions } from './block-backend.ts';
import { createImage, deleteImage, imageInfo, listImages } from './images.ts';
import { checkIsolation, type IsolationReport } from './isolation.ts';
import { runSelftest, type SelftestResult } from './selftest.ts';
import type { ImageInfo } from './shared/image-format.ts';

export interface Images {
  create(name: string, sizeBytes: number, opts?: { chunkSize?: number }): Promise<ImageInfo>;
  info(name: string): Promise<ImageInfo>;
  list(): Promise<ImageInfo[]>;
  delete(name: string): Promise<void>;
}

export interface WebAio {
  readonly version: string;
  isolation(): IsolationReport;
  /** Attach a worker to shared memory and time `pings` worker -> main bottom-half wake-ups. */
  selftest(pings?: number): Promise<SelftestResult>;
  images: Images;
  /** Open an image for direct reads and writes through its own AIO pool. */
  openBlock(image: string, opts?: BlockBackendOptions): Promise<BlockBackend>;
}

export function createWebAio(): WebAio {
  return {
    version: '0.1.0',
    isolation: checkIsolation,
    selftest: runSelftest,
    images: { create: createImage, info: imageInfo, list: listImages, delete: deleteImage },
    openBlock: (image, opts) => BlockBackend.open(image, opts),
  };
}

declare global {
  interface Window {
    webaio: WebAio;
  }
}
