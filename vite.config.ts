// Vite build and servers. The page must be cross-origin isolated (SharedArrayBuffer,
// Atomics.wait in workers), so dev and preview both send COOP/COEP. The build generates the
// default base image into public/images/ first.
import { defineConfig } from 'vite';
import { defaultBasePlugin } from './scripts/base-image.ts';

const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [defaultBasePlugin()],
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
});
