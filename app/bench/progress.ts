// Progress lines of a benchmark running in the page: console lines with a prefix, which
// `npm run bench` forwards to its stderr and which a person at the console simply reads.

export const PROGRESS_PREFIX = '[webaio-bench] ';

export function progress(message: string): void {
  console.log(`${PROGRESS_PREFIX}${message}`);
}
