// blkdebug's inject-error (cf. block/blkdebug.c): fail the next requests of chosen ops with an
// errno, to see what a front end makes of a failing disk. The page arms it in the image's words
// of the control buffer; the raw driver's workers fire it (workers/block/raw-idb.ts).

import { BLOCK_OP_NAMES, BlockOp, type BlockOpName } from '../shared/block/block.ts';
import { Errno, ErrnoError, type ErrnoName } from '../shared/block/errno.ts';
import type { Control } from '../shared/layout/layout.ts';

export type InjectableOp = Exclude<BlockOpName, 'writeback'>;

/** Fail the next `count` requests of these ops. */
export interface InjectErrorRule {
  op: InjectableOp | InjectableOp[];
  errno?: Extract<ErrnoName, 'EIO' | 'ENOSPC'>;
  count?: number;
}

const OP_BY_NAME = new Map(
  Object.entries(BLOCK_OP_NAMES)
    .filter(([, name]) => name !== 'writeback')
    .map(([op, name]) => [name, Number(op) as BlockOp]),
);

/** Arm `rule` (count default 1, errno default EIO), replacing the one armed before. */
export function blkdebugInjectError(ctl: Control, rule: InjectErrorRule): void {
  const ops = Array.isArray(rule.op) ? rule.op : [rule.op];
  let mask = 0;
  for (const name of ops) {
    const op = OP_BY_NAME.get(name);
    if (op === undefined) {
      throw new ErrnoError(
        Errno.EINVAL,
        `cannot inject into "${String(name)}" (known: ${[...OP_BY_NAME.keys()].join(', ')})`,
      );
    }
    mask |= 1 << op;
  }
  const errno = rule.errno ?? 'EIO';
  if (errno !== 'EIO' && errno !== 'ENOSPC') {
    throw new ErrnoError(Errno.EINVAL, `cannot inject errno "${String(errno)}" (EIO or ENOSPC)`);
  }
  const count = rule.count ?? 1;
  if (!Number.isInteger(count) || count < 0) {
    throw new ErrnoError(Errno.EINVAL, `inject count ${count} is not a non-negative integer`);
  }
  const { i32, L } = ctl;
  // Disarmed while the errno and the count change: a worker never fires half a rule.
  Atomics.store(i32, L.image.injectOps, 0);
  Atomics.store(i32, L.image.injectErrno, Errno[errno]);
  Atomics.store(i32, L.image.injectRemaining, count);
  Atomics.store(i32, L.image.injectOps, count > 0 ? mask : 0);
}
