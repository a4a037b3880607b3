import { describe, expect, it } from 'vitest';
import { newcArchive } from './newc.ts';

interface Member {
  name: string;
  mode: number;
  rdev: [number, number];
  data: Uint8Array;
}

/** Read a newc archive back, checking the 4-byte alignment the kernel relies on. */
function members(archive: Uint8Array): Member[] {
  const text = (a: number, n: number) => new TextDecoder().decode(archive.subarray(a, a + n));
  const out: Member[] = [];
  let at = 0;
  for (;;) {
    expect(at % 4).toBe(0);
    expect(text(at, 6)).toBe('070701');
    const field = (i: number) => parseInt(text(at + 6 + i * 8, 8), 16);
    const namesize = field(11);
    const filesize = field(6);
    const name = text(at + 110, namesize - 1);
    let data = at + 110 + namesize;
    data += (4 - (data % 4)) % 4;
    const member = {
      name,
      mode: field(1),
      rdev: [field(9), field(10)] as [number, number],
      data: archive.subarray(data, data + filesize),
    };
    at = data + filesize;
    at += (4 - (at % 4)) % 4;
    if (name === 'TRAILER!!!') return out;
    out.push(member);
  }
}

describe('newc cpio', () => {
  it('newc/round-trip: directories, files, symlinks and device nodes come back whole', () => {
    const body = new TextEncoder().encode('#!/bin/sh\necho hi\n');
    const archive = newcArchive([
      { kind: 'dir', path: 'etc' },
      { kind: 'file', path: 'etc/rc', data: body, mode: 0o755 },
      { kind: 'symlink', path: 'init', target: 'bin/busybox' },
      { kind: 'char', path: 'dev/console', major: 5, minor: 1 },
    ]);
    const m = members(archive);
    expect(m.map((x) => x.name)).toEqual(['etc', 'etc/rc', 'init', 'dev/console']);
    expect(m[0].mode).toBe(0o040755);
    expect(m[1].mode).toBe(0o100755);
    expect(new TextDecoder().decode(m[1].data)).toBe('#!/bin/sh\necho hi\n');
    expect(m[2].mode).toBe(0o120777);
    expect(new TextDecoder().decode(m[2].data)).toBe('bin/busybox');
    expect(m[3].mode).toBe(0o020600);
    expect(m[3].rdev).toEqual([5, 1]);
  });

  it('newc/refuses-bad-paths: absolute, escaping or repeated paths are errors', () => {
    expect(() => newcArchive([{ kind: 'dir', path: '/etc' }])).toThrow(/must be relative/);
    expect(() => newcArchive([{ kind: 'dir', path: 'a/../..' }])).toThrow(/stay inside/);
    expect(() =>
      newcArchive([
        { kind: 'dir', path: 'etc' },
        { kind: 'dir', path: 'etc' },
      ]),
    ).toThrow(/"etc" is in the archive twice/);
  });
});
