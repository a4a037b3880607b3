// The in-page half of the crash and power-cut runs (scripts/power-cut.ts): write one batch of
// sectors through WebAIO in a cache mode and flush; and read the region back as bytes.
// installCutPage runs in the browser as an init script (so it imports nothing at run time) and
// leaves window.cutPage for page.evaluate.

/** WebAIO's cache mode the image is opened with. Plain IndexedDB's write patterns were compared
 *  here too until issue 18; their findings are in docs/durability.md. */
export type CutPattern = 'writeback' | 'writethrough' | 'unsafe';

export const CUT_PATTERNS: readonly CutPattern[] = ['writeback', 'writethrough', 'unsafe'];

export interface BatchArgs {
  pattern: CutPattern;
  /** Non-overlapping writes: byte offset and data, whole sectors. */
  writes: [number, Uint8Array][];
}

export interface CutPage {
  /** Write a batch, all its writes in flight at once, then flush; resolves when the flush did. */
  writeBatch(args: BatchArgs): Promise<void>;
  /** The first `bytes` of the image (a fresh page after a reboot). */
  readRegion(args: { pattern: CutPattern; bytes: number }): Promise<Uint8Array>;
}

declare global {
  interface Window {
    cutPage: CutPage;
  }
}

/** Runs in the page before its scripts: defines window.cutPage. */
export function installCutPage(): void {
  const IMAGE = 'power';
  type Backend = Awaited<ReturnType<typeof window.webaio.openBlock>>;
  /** Opened by this boot's first batch, in the pattern's cache mode; the cut ends it. */
  let backend: Backend | undefined;

  async function writeBatch({ pattern, writes }: BatchArgs): Promise<void> {
    backend ??= await window.webaio.openBlock(IMAGE, { cache: pattern });
    const b = backend;
    await Promise.all(writes.map(([offset, data]) => b.pwrite(offset, data)));
    await b.flush();
  }

  async function readRegion({ bytes }: { bytes: number }): Promise<Uint8Array> {
    const b = await window.webaio.openBlock(IMAGE);
    try {
      return await b.pread(0, bytes);
    } finally {
      await b.close();
    }
  }

  window.cutPage = { writeBatch, readRegion };
}
