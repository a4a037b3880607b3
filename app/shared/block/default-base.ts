// The default base image the build generates (scripts/base-image.ts) and the demo can boot on
// an overlay of: where it is served, how big it is, and the verify seed its sectors carry, so a
// read-verify guest with that seed can check every sector it reads.

export const DEFAULT_BASE = {
  /** Relative to the page (served from public/). */
  path: 'images/default-base.img',
  bytes: 32 << 20,
  /** Every sector is written as by a verify job of this seed (workers/guest/verify.ts). */
  seed: 20261201,
  generation: 1,
} as const;
