// What the guest-assets build (scripts/guest-assets/) wrote into public/linux/manifest.json, and
// what the page reads from it: the files v86 boots (BIOS, kernel, initramfs), and each Debian
// package they came from with its source package, version and licence, so the page can link the
// exact sources of the GPL and LGPL binaries it serves.

export const GUEST_MANIFEST_SCHEMA = 1;

/** Where the page finds the guest's files (relative to the page). */
export const GUEST_ASSETS_DIR = 'linux/';
export const GUEST_MANIFEST_FILE = 'manifest.json';

export interface GuestFile {
  /** File name inside GUEST_ASSETS_DIR. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface GuestSource {
  /** Debian source package and version, e.g. "linux", "6.1.192-3". */
  name: string;
  version: string;
  /** SPDX-like licence of what we serve from it. */
  license: string;
  /** The exact source: snapshot.debian.org's page for this version, and sources.debian.org's. */
  snapshotUrl: string;
  sourcesUrl: string;
  /** Why it is here: the binary packages (or Built-Using) that brought it. */
  via: string[];
}

export interface GuestPackage {
  /** The binary package, its version and architecture, e.g. "busybox-static", "i386". */
  name: string;
  version: string;
  arch: string;
  /** Its source package, and what it was built with (Debian's Built-Using). */
  source: string;
  sourceVersion: string;
  builtUsing: { name: string; version: string }[];
}

export interface GuestManifest {
  schema: number;
  /** Changes whenever a package version or the recipe changes (the build's cache key). */
  key: string;
  builtAt: string;
  /** The kernel release, e.g. "6.1.0-57-686". */
  kernelRelease: string;
  files: { bios: GuestFile; vgaBios: GuestFile; kernel: GuestFile; initrd: GuestFile };
  packages: GuestPackage[];
  sources: GuestSource[];
}

/** Throws naming what is wrong if `m` is not a manifest this page reads. */
export function checkGuestManifest(m: unknown): GuestManifest {
  const g = m as Partial<GuestManifest> | null;
  if (!g || typeof g !== 'object' || g.schema !== GUEST_MANIFEST_SCHEMA) {
    throw new Error(
      `guest manifest schema ${String(g?.schema)} is not ${GUEST_MANIFEST_SCHEMA}: ` +
        'rebuild the guest with `npm run guest-assets`',
    );
  }
  for (const k of ['bios', 'vgaBios', 'kernel', 'initrd'] as const) {
    if (typeof g.files?.[k]?.path !== 'string') {
      throw new Error(`guest manifest has no ${k} file: rebuild with \`npm run guest-assets\``);
    }
  }
  return g as GuestManifest;
}
