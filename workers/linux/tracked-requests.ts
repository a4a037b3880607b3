// The IDE front end's tracked requests (cf. QEMU block/io.c: tracked_request_begin() and
// bdrv_wait_serialising_requests()): the pool may run requests in any order and at once, so a
// request waits for every earlier one still tracked that it overlaps when either is a write, and
// a flush waits for every earlier write. Reads then see writes still in flight, overlapping
// writes land in guest order, and a flush covers every write v86 reported done before it.

export type TrackedOp = 'read' | 'write' | 'flush';

export interface Tracked {
  op: TrackedOp;
  byteOffset: number;
  nbytes: number;
}

/** Whether `later` must wait for `earlier`. */
export function mustWait(earlier: Tracked, later: Tracked): boolean {
  if (later.op === 'flush') return earlier.op === 'write';
  if (earlier.op === 'flush') return false;
  if (earlier.op === 'read' && later.op === 'read') return false;
  return (
    earlier.byteOffset < later.byteOffset + later.nbytes &&
    later.byteOffset < earlier.byteOffset + earlier.nbytes
  );
}

export class TrackedRequests<T extends Tracked> {
  /** Every request not completed yet, in guest order, and whether it was let go. */
  private readonly list: { req: T; started: boolean }[] = [];

  get size(): number {
    return this.list.length;
  }

  /** Track `req` (it comes after everything tracked); true if it may start now. */
  add(req: T): boolean {
    const free = this.list.every((e) => !mustWait(e.req, req));
    this.list.push({ req, started: free });
    return free;
  }

  /** `req` completed: forget it; returns the requests that may start now, in guest order. */
  complete(req: T): T[] {
    const i = this.list.findIndex((e) => e.req === req);
    if (i < 0 || !this.list[i].started) {
      throw new Error(`tracked requests: completing a ${req.op} that was not started`);
    }
    this.list.splice(i, 1);
    const now: T[] = [];
    for (let k = i; k < this.list.length; k++) {
      const e = this.list[k];
      if (e.started) continue;
      let free = true;
      for (let j = 0; j < k && free; j++) free = !mustWait(this.list[j].req, e.req);
      if (free) {
        e.started = true;
        now.push(e.req);
      }
    }
    return now;
  }
}
