// Vite build and servers. The page must be cross-origin isolated (SharedArrayBuffer,
// Atomics.wait in workers), so dev and preview both send COOP/COEP; on a host that sends none,
// the page registers coi-serviceworker's worker, which the build copies beside it. The build
// generates the default base image into public/images/ first.
import { defineConfig } from 'vite';
import { defaultBasePlugin } from './scripts/base-image.ts';
import { coiServiceWorkerPlugin } from './scripts/coi-serviceworker.ts';

const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [defaultBasePlugin(), coiServiceWorkerPlugin()],
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
});
