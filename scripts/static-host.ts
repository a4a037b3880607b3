// A plain static host for the e2e tests and the lesson's figures, as GitHub Pages and the like
// are: sirv on a directory, no COOP/COEP (nor any other header of ours), optionally under a path
// prefix (a project site's /repo/). It runs in the caller's process, on a port the OS chooses.

import { createServer } from 'node:http';
import sirv from 'sirv';

export interface StaticHost {
  /** The origin, e.g. http://127.0.0.1:41234 (the site is at origin + prefix). */
  readonly origin: string;
  close(): Promise<void>;
}

export async function staticHost(dir: string, prefix = '/'): Promise<StaticHost> {
  const serve = sirv(dir, { dev: true, etag: true });
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith(prefix)) {
      res.statusCode = 404;
      res.end(`${url} is outside ${prefix}`);
      return;
    }
    req.url = `/${url.slice(prefix.length)}`;
    serve(req, res, () => {
      res.statusCode = 404;
      res.end(`${url} is not in ${dir}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    server.close();
    throw new Error(`static host on ${dir} listens on ${String(address)}, not a TCP port`);
  }
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
