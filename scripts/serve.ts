// The site as the tools serve it, through Vite's JS API in the calling process: `npm start`'s
// server — the production build, rebuilt whenever a source file changes, served by `vite preview`
// (COOP/COEP from vite.config.ts) once the first build is on disk — and, for the benchmark and
// the figures scripts, one build served on a free port. Not the dev server: there a worker loads
// every module unbundled, one request each, and on a loaded machine a new pool worker took
// seconds to start (see the commit that made this).

import { fileURLToPath } from 'node:url';
import { build, preview, type PreviewServer } from 'vite';
import { freePort } from './free-port.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Build the site once into `outDir` (a directory of the caller's: dist/ belongs to the tests). */
export async function buildSite(outDir: string): Promise<void> {
  await build({ root: ROOT, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}

export interface SiteServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serve a build with `vite preview` on 127.0.0.1, on a port the OS picked (strictPort: a port
 *  taken meanwhile fails rather than moves). */
export async function previewSite(outDir: string): Promise<SiteServer> {
  const port = freePort();
  const server = await preview({
    root: ROOT,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port, strictPort: true },
  });
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

type Watcher = Extract<Awaited<ReturnType<typeof build>>, { close(): Promise<void> }>;

export interface ServeOptions {
  host: string;
  port: number;
  /** Where the watched build writes: not dist/, which `npm run build` and the e2e tests own. */
  outDir: string;
  /** Called after each rebuild once the server is up (the page does not reload by itself). */
  onRebuilt?: () => void;
}

export interface WatchedServer {
  /** The first local URL the server answers on. */
  readonly url: string;
  /** Vite's lines: every URL it answers on (the network ones too, with HOST=0.0.0.0). */
  printUrls(): void;
  /** Stop the watcher and the server. */
  close(): Promise<void>;
}

/** Resolves at the end of the first build that succeeds: a failed one (a syntax error being
 *  fixed) is reported by Vite, and the next change is built again. */
function firstGoodBuild(watcher: Watcher, onRebuilt: () => void): Promise<void> {
  return new Promise((resolve) => {
    let good = false;
    let served = false;
    watcher.on('event', (event) => {
      if (event.code === 'START') good = false;
      else if (event.code === 'BUNDLE_END') good = true;
      else if (event.code === 'END' && good) {
        if (served) onRebuilt();
        served = true;
        resolve();
      }
    });
  });
}

export async function serveWatched(opts: ServeOptions): Promise<WatchedServer> {
  const built = await build({ build: { outDir: opts.outDir, watch: {} } });
  if (!('close' in built)) throw new Error(`vite build gave no watcher for outDir ${opts.outDir}`);
  const watcher: Watcher = built;
  let server: PreviewServer | undefined;
  try {
    await firstGoodBuild(watcher, () => opts.onRebuilt?.());
    // Not strictPort: as `vite` before it, a port in use moves to the next free one.
    server = await preview({
      build: { outDir: opts.outDir },
      preview: { host: opts.host, port: opts.port },
    });
  } catch (e) {
    await watcher.close();
    throw e;
  }
  const url = server.resolvedUrls?.local[0] ?? server.resolvedUrls?.network[0];
  if (!url) {
    await Promise.all([server.close(), watcher.close()]);
    throw new Error(`vite preview listens on ${opts.host}:${opts.port} but has no URL`);
  }
  const running = server;
  return {
    url,
    printUrls: () => running.printUrls(),
    close: async () => {
      await Promise.all([running.close(), watcher.close()]);
    },
  };
}
