// Cross-origin isolation on a host that sends no COOP/COEP (GitHub Pages and the like): the
// coi-serviceworker package's worker, served beside the page (scripts/coi-serviceworker.ts),
// adds the headers to every response, once it controls the page — hence one reload. On a host
// that sends them, nothing here runs: no worker is registered, nothing reloads.

import { activeWorker } from './service-worker.ts';

/** The package's file, emitted at the base of the build under its own name. */
const COI_SW_URL = `${import.meta.env.BASE_URL}coi-serviceworker.js`;
/** Set just before our one reload; cleared once the reloaded page is isolated. */
const RELOADED_KEY = 'webaio-coi-reloaded';

export type CoiOutcome =
  /** The worker is active: the page is reloading into it. */
  | { kind: 'reloading' }
  /** No worker can make this page isolated; `why` says what is in the way. */
  | { kind: 'unavailable'; why: string };

const isCoiWorker = (w: ServiceWorker | null | undefined) =>
  w !== null && w !== undefined && new URL(w.scriptURL).pathname.endsWith('/coi-serviceworker.js');

/**
 * For a page that is not cross-origin isolated: register the worker that supplies the headers
 * and reload once it is active — or say why that cannot work here. Never reloads twice: a page
 * still not isolated after our reload is reported, not reloaded again.
 */
export async function supplyIsolation(): Promise<CoiOutcome> {
  const noHeaders = 'This host sends no isolation headers';
  if (!window.isSecureContext) {
    return {
      kind: 'unavailable',
      why:
        `${noHeaders}, and ${location.origin} is not a secure origin, so no service worker can ` +
        'supply them: serve the page over https, or from localhost.',
    };
  }
  if (!('serviceWorker' in navigator)) {
    return {
      kind: 'unavailable',
      why:
        `${noHeaders}, and service workers are not available here (a private window, or ` +
        'disabled in this browser), so none can supply them.',
    };
  }
  if (reloadedBefore()) {
    // Our reload did not do it: say so, and never reload again (a loop would never end).
    sessionStorage.removeItem(RELOADED_KEY);
    return {
      kind: 'unavailable',
      why: isCoiWorker(navigator.serviceWorker.controller)
        ? `${noHeaders}; the service worker ${COI_SW_URL} supplies them and controls this ` +
          'page, yet the browser did not isolate it (does it support ' +
          '"Cross-Origin-Embedder-Policy: require-corp"?).'
        : `${noHeaders}; the page reloaded once for the service worker ${COI_SW_URL} that ` +
          'supplies them, but that worker did not take control of the page.',
    };
  }
  try {
    const reg = await navigator.serviceWorker.register(COI_SW_URL, {
      scope: import.meta.env.BASE_URL,
    });
    await activeWorker(reg);
    sessionStorage.setItem(RELOADED_KEY, String(Date.now()));
  } catch (e) {
    return {
      kind: 'unavailable',
      why:
        `${noHeaders}, and the service worker that would supply them (${COI_SW_URL}) could not ` +
        `be installed: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  location.reload();
  return { kind: 'reloading' };
}

/** Whether this tab already reloaded for the worker (false where sessionStorage is refused:
 *  then setting the mark fails too, and supplyIsolation reports that instead of reloading). */
function reloadedBefore(): boolean {
  try {
    return sessionStorage.getItem(RELOADED_KEY) !== null;
  } catch {
    return false;
  }
}

/** For an isolated page: a sentence if our worker supplies the isolation, else undefined. */
export function isolationNote(): string | undefined {
  const reloaded = reloadedBefore();
  if (reloaded) sessionStorage.removeItem(RELOADED_KEY);
  if (!('serviceWorker' in navigator) || !isCoiWorker(navigator.serviceWorker.controller)) {
    return undefined;
  }
  return reloaded
    ? 'This host sends no isolation headers; a service worker supplies them — the page ' +
        'reloaded once for that.'
    : 'This host sends no isolation headers; a service worker supplies them (it made the page ' +
        'reload once, on your first visit).';
}
