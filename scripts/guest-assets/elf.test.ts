import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { elfNeeds } from './elf.ts';

/** A minimal little-endian ELF32 executable: PT_INTERP, PT_LOAD, PT_DYNAMIC with two
 *  DT_NEEDED entries and a string table at a virtual address 0x8048000 + its file offset. */
function elf32(interp: string, needed: string[]): Uint8Array {
  const base = 0x8048000;
  const strings = ['', ...needed].join('\0') + '\0';
  const phoff = 52;
  const interpAt = phoff + 3 * 32;
  const strAt = interpAt + interp.length + 1;
  const dynAt = Math.ceil((strAt + strings.length) / 4) * 4;
  const dyn: [number, number][] = [];
  let off = 1;
  for (const n of needed) {
    dyn.push([1, off]);
    off += n.length + 1;
  }
  dyn.push([5, base + strAt], [0, 0]);
  const size = dynAt + dyn.length * 8;
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  v.setUint32(28, phoff, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, 3, true);
  const ph = (i: number, type: number, offset: number, filesz: number) => {
    const at = phoff + i * 32;
    v.setUint32(at, type, true);
    v.setUint32(at + 4, offset, true);
    v.setUint32(at + 8, base + offset, true);
    v.setUint32(at + 16, filesz, true);
  };
  ph(0, 3, interpAt, interp.length + 1);
  ph(1, 1, 0, size);
  ph(2, 2, dynAt, dyn.length * 8);
  b.set(new TextEncoder().encode(interp), interpAt);
  b.set(new TextEncoder().encode(strings), strAt);
  dyn.forEach(([tag, val], i) => {
    v.setUint32(dynAt + i * 8, tag, true);
    v.setUint32(dynAt + i * 8 + 4, val, true);
  });
  return b;
}

describe('ELF needs', () => {
  it('elf/elf32-needed: interpreter and sonames of an i386 executable, in order', () => {
    expect(elfNeeds(elf32('/lib/ld-linux.so.2', ['libext2fs.so.2', 'libc.so.6']))).toEqual({
      interp: '/lib/ld-linux.so.2',
      needed: ['libext2fs.so.2', 'libc.so.6'],
    });
  });

  it('elf/host-binary: this Node (ELF64 on Linux) needs libc', () => {
    if (process.platform !== 'linux') return;
    const needs = elfNeeds(readFileSync(process.execPath), process.execPath);
    expect(needs.needed).toContain('libc.so.6');
  });

  it('elf/not-elf: a text file is refused by name', () => {
    expect(() => elfNeeds(new TextEncoder().encode('#!/bin/sh\n'.repeat(10)), 'rcS')).toThrow(
      'rcS is not an ELF file',
    );
  });
});
