// Build step: the coi-serviceworker package's worker, copied as it is to the base of the build
// (and served there by the dev server), where app/coi.ts registers it on a host that sends no
// COOP/COEP. It must be a file of the page's own origin, beside the page, and not bundled.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Plugin } from 'vite';

/** The package's file name, kept: app/coi.ts asks for it under this name. */
const FILE = 'coi-serviceworker.js';

function source(): string {
  return readFileSync(createRequire(import.meta.url).resolve(`coi-serviceworker/${FILE}`), 'utf8');
}

export function coiServiceWorkerPlugin(): Plugin {
  return {
    name: 'webaio-coi-serviceworker',
    configureServer(server) {
      server.middlewares.use(`${server.config.base}${FILE}`, (_req, res) => {
        res.setHeader('Content-Type', 'text/javascript');
        res.end(source());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: FILE, source: source() });
    },
  };
}
