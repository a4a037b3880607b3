// `npm start`: the demo on Vite's dev server (cross-origin isolated). Installs nothing: if the
// dependencies are missing it says so and stops.
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';

if (!existsSync(new URL('../node_modules/vite/package.json', import.meta.url))) {
  console.error('WebAIO: dependencies are not installed. Run `npm ci` first, then `npm start`.');
  process.exit(1);
}
const port = process.env.PORT ?? '5173';
const vite = spawn('npx', ['vite', '--host', process.env.HOST ?? 'localhost', '--port', port], {
  stdio: 'inherit',
});
vite.on('exit', (code) => process.exit(code ?? 0));
