// Build step: the default base image, generated into public/ (so `vite` and `vite preview` serve
// it, with Range and ETag) in the guest's verify format with a fixed seed. A Vite plugin runs it
// before every build, dev server and preview; an up-to-date file is left alone.

import { mkdirSync, openSync, readSync, closeSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';
import { SECTOR_SIZE } from '../app/shared/block/block.ts';
import { DEFAULT_BASE } from '../app/shared/block/default-base.ts';
import { checkSector, fillSector, runIdOf } from '../workers/guest/verify.ts';

/** The image's bytes: sector s is the verify sector of s for DEFAULT_BASE's seed. */
export function defaultBaseBytes(bytes: number = DEFAULT_BASE.bytes): Uint8Array {
  const words = new Int32Array(bytes / 4);
  const runId = runIdOf(DEFAULT_BASE.seed);
  for (let s = 0; s < bytes / SECTOR_SIZE; s++) {
    fillSector(words, (s * SECTOR_SIZE) / 4, s, runId, DEFAULT_BASE.generation);
  }
  return new Uint8Array(words.buffer);
}

/** Whether `file` already is the image: the right size, and its last sector checks. */
function upToDate(file: string): boolean {
  try {
    if (statSync(file).size !== DEFAULT_BASE.bytes) return false;
    const last = DEFAULT_BASE.bytes / SECTOR_SIZE - 1;
    const buf = new Uint8Array(SECTOR_SIZE);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, SECTOR_SIZE, last * SECTOR_SIZE);
    } finally {
      closeSync(fd);
    }
    const expect = { kind: 'run', runId: runIdOf(DEFAULT_BASE.seed) } as const;
    return checkSector(new Int32Array(buf.buffer), 0, last, expect) === null;
  } catch {
    return false;
  }
}

export function writeDefaultBase(publicDir: string): string {
  const file = join(publicDir, DEFAULT_BASE.path);
  if (!upToDate(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, defaultBaseBytes());
  }
  return file;
}

/** Written as soon as the config is known: before the dev server lists public/'s files. */
export function defaultBasePlugin(): Plugin {
  return {
    name: 'webaio-default-base',
    configResolved(config) {
      if (config.publicDir) writeDefaultBase(config.publicDir);
    },
  };
}
