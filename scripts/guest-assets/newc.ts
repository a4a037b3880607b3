// A cpio archive in the "newc" format, the one the Linux kernel unpacks as an initramfs
// (cf. usr/gen_init_cpio.c in Linux): directories, files, symlinks and device nodes, written
// without touching the host's filesystem, so no root is needed for /dev/console.

/** One archive member; paths are relative ("bin/busybox"), parents before children. */
export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Uint8Array; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'char'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const MAGIC = '070701';
const TRAILER = 'TRAILER!!!';
const HEADER_BYTES = 110;

const hex8 = (n: number) => {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) {
    throw new RangeError(`cpio: field value ${n} does not fit 8 hex digits`);
  }
  return n.toString(16).padStart(8, '0');
};
const pad4 = (n: number) => (4 - (n % 4)) % 4;

function member(
  name: string,
  ino: number,
  mode: number,
  data: Uint8Array,
  rdev: [number, number] = [0, 0],
): Uint8Array[] {
  const nameBytes = new TextEncoder().encode(`${name}\0`);
  const header =
    MAGIC +
    [
      ino,
      mode,
      0, // uid
      0, // gid
      (mode & 0o170000) === S_IFDIR ? 2 : 1, // nlink
      0, // mtime: 0, so the archive depends on its contents alone
      data.byteLength,
      0, // devmajor
      0, // devminor
      rdev[0],
      rdev[1],
      nameBytes.byteLength,
      0, // check
    ]
      .map(hex8)
      .join('');
  const head = new TextEncoder().encode(header);
  return [
    head,
    nameBytes,
    new Uint8Array(pad4(HEADER_BYTES + nameBytes.byteLength)),
    data,
    new Uint8Array(pad4(data.byteLength)),
  ];
}

/** The archive's bytes (uncompressed). Throws on a duplicate or absolute path. */
export function newcArchive(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const seen = new Set<string>();
  let ino = 1;
  for (const e of entries) {
    if (e.path.startsWith('/') || e.path === '' || e.path.split('/').includes('..')) {
      throw new Error(`cpio: path "${e.path}" must be relative and stay inside the archive`);
    }
    if (seen.has(e.path)) throw new Error(`cpio: "${e.path}" is in the archive twice`);
    seen.add(e.path);
    switch (e.kind) {
      case 'dir':
        parts.push(...member(e.path, ino++, S_IFDIR | (e.mode ?? 0o755), new Uint8Array(0)));
        break;
      case 'file':
        parts.push(...member(e.path, ino++, S_IFREG | (e.mode ?? 0o644), e.data));
        break;
      case 'symlink':
        parts.push(...member(e.path, ino++, S_IFLNK | 0o777, new TextEncoder().encode(e.target)));
        break;
      case 'char':
        parts.push(
          ...member(e.path, ino++, S_IFCHR | (e.mode ?? 0o600), new Uint8Array(0), [
            e.major,
            e.minor,
          ]),
        );
        break;
    }
  }
  parts.push(...member(TRAILER, 0, 0, new Uint8Array(0)));
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
