// Waiting on a service worker's lifecycle: the page's two workers (app/coi.ts, app/images/download.ts)
// are of use only once active.

/** `reg`'s newest worker once it is activated (its activate handler has run, claims included);
 *  rejects, naming the script, if it fails to install. */
export function activeWorker(reg: ServiceWorkerRegistration): Promise<ServiceWorker> {
  const worker = reg.installing ?? reg.waiting ?? reg.active;
  if (!worker)
    return Promise.reject(new Error(`service worker registration ${reg.scope} has no worker`));
  return new Promise((resolve, reject) => {
    const check = () => {
      if (worker.state !== 'activated' && worker.state !== 'redundant') return;
      worker.removeEventListener('statechange', check);
      if (worker.state === 'activated') resolve(worker);
      else reject(new Error(`service worker ${worker.scriptURL} failed to install (redundant)`));
    };
    worker.addEventListener('statechange', check);
    check();
  });
}
