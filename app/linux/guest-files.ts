// Where the Linux guest's files are: v86's wasm (bundled by Vite from the pinned, patched npm
// package) and what `npm run guest-assets` built into public/linux/, read through its manifest.
// A page without the guest says how to build it.

/// <reference path="./v86-wasm.d.ts" />
import v86WasmUrl from 'v86/build/v86.wasm?url';
import {
  checkGuestManifest,
  GUEST_ASSETS_DIR,
  GUEST_MANIFEST_FILE,
  type GuestManifest,
} from '../shared/guest/guest-manifest.ts';

export interface GuestFiles {
  manifest: GuestManifest;
  /** Absolute URLs (v86's worker resolves nothing against the page). */
  wasmUrl: string;
  biosUrl: string;
  vgaBiosUrl: string;
  kernelUrl: string;
  initrdUrl: string;
}

let loading: Promise<GuestFiles> | undefined;

async function load(): Promise<GuestFiles> {
  const base = new URL(GUEST_ASSETS_DIR, document.baseURI);
  const url = new URL(GUEST_MANIFEST_FILE, base);
  const res = await fetch(url);
  if (!res.ok) {
    throw new Error(
      `the Linux guest is not built (${url.pathname}: HTTP ${res.status}): run ` +
        '`npm run guest-assets` on a Debian machine (see README), then reload',
    );
  }
  const manifest = checkGuestManifest(await res.json());
  const at = (path: string) => new URL(path, base).href;
  return {
    manifest,
    wasmUrl: new URL(v86WasmUrl, document.baseURI).href,
    biosUrl: at(manifest.files.bios.path),
    vgaBiosUrl: at(manifest.files.vgaBios.path),
    kernelUrl: at(manifest.files.kernel.path),
    initrdUrl: at(manifest.files.initrd.path),
  };
}

/** The guest's files; fetched once (a failure is tried again on the next call). */
export function guestFiles(): Promise<GuestFiles> {
  loading ??= load().catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}
