// What went wrong with an overlay's base, as a code in shared memory (the data plane only
// carries -EIO) and as the sentence the page shows: the worker that meets it sets the code, the
// page names the URL and the validators it recorded.

import { describeBase, type BackingMeta } from './image-format.ts';

export const BackingFault = {
  NONE: 0,
  /** The base answered with another ETag, Last-Modified or size: poisons the overlay. */
  CHANGED: 1,
  /** The base answered a Range request with the whole file: poisons the overlay. */
  NO_RANGE: 2,
  /** The base did not answer (network error) or answered an HTTP error: may pass. */
  UNREACHABLE: 3,
} as const;
export type BackingFault = (typeof BackingFault)[keyof typeof BackingFault];

/** Faults after which no fetch is tried again for this backend. */
export const isPoisoning = (fault: number) =>
  fault === BackingFault.CHANGED || fault === BackingFault.NO_RANGE;

export function backingFaultMessage(fault: number, b: BackingMeta): string {
  const base = describeBase(b);
  switch (fault) {
    case BackingFault.CHANGED:
      return `the base image ${base} has changed since the overlay was made: refusing to mix old and new data`;
    case BackingFault.NO_RANGE:
      return `the server of the base image ${b.url} ignores HTTP Range requests (it sent the whole file)`;
    case BackingFault.UNREACHABLE:
      return `the base image ${b.url} does not answer`;
    default:
      return '';
  }
}
