// Linux errno numbers: the data plane returns bytes >= 0 or -errno, as QEMU's block layer does;
// the API turns a negative result into an Error whose `name` is the errno's name.

export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  EFBIG: 27,
  ENOSPC: 28,
  EROFS: 30,
  ENOTSUP: 95,
  ECANCELED: 125,
} as const;
export type ErrnoName = keyof typeof Errno;

const NAMES = new Map<number, ErrnoName>(
  Object.entries(Errno).map(([name, n]) => [n, name as ErrnoName]),
);

export function errnoName(errno: number): ErrnoName | `E${number}` {
  return NAMES.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`;
}

/** An error from the data plane or the API: `name` is the errno's name, `errno` its number. */
export class ErrnoError extends Error {
  readonly errno: number;
  constructor(errno: number, message: string) {
    super(message);
    this.errno = Math.abs(errno);
    this.name = errnoName(errno);
  }
}
