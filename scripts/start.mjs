// `npm start`: the demo's production build, rebuilt on every change, served cross-origin isolated
// (scripts/serve.ts). Installs nothing: if the dependencies are missing it says so and stops.
// One process: the watcher and the server die with it, whatever ends it.
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../node_modules/vite/package.json', import.meta.url))) {
  console.error('WebAIO: dependencies are not installed. Run `npm ci` first, then `npm start`.');
  process.exit(1);
}
// npm runs this under `sh -c`, and sh does not pass on the SIGTERM npm forwards to it: it dies
// and leaves us to init. Being reparented is the sign that whoever started us is gone.
const parent = process.ppid;
/** @type {import('./serve.ts').WatchedServer | undefined} */
let server;
const stop = (/** @type {number} */ code) =>
  (server?.close() ?? Promise.resolve()).finally(() => process.exit(code));
process.once('SIGINT', () => stop(130));
process.once('SIGTERM', () => stop(143));
setInterval(() => {
  if (process.ppid !== parent) stop(143);
}, 250).unref();

const port = Number(process.env.PORT ?? '5173');
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`WebAIO: PORT=${process.env.PORT} is not a port number (0..65535).`);
  process.exit(1);
}
const { tsImport } = await import('tsx/esm/api');
/** @type {import('./serve.ts')} */
const { serveWatched } = await tsImport('./serve.ts', import.meta.url);
server = await serveWatched({
  host: process.env.HOST ?? 'localhost',
  port,
  outDir: 'node_modules/.webaio-start',
  onRebuilt: () => console.log('WebAIO: rebuilt — reload the page to use it.'),
});
// The e2e test and people read these lines: they come only once the first build is served.
server.printUrls();
console.log(`\nWebAIO: open ${server.url}\n`);
