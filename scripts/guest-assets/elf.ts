// What a dynamically linked ELF executable needs at run time: its interpreter (PT_INTERP) and
// the sonames of its DT_NEEDED entries — enough to copy a binary's libraries into an initramfs
// without running the binary or the host's ldd (cf. readelf -d).

export interface ElfNeeds {
  /** The program interpreter, e.g. "/lib/ld-linux.so.2"; undefined for a static binary. */
  interp: string | undefined;
  /** DT_NEEDED sonames, in order. */
  needed: string[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;

interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

function cString(bytes: Uint8Array, at: number): string {
  let end = at;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(at, end));
}

/** Parse a little-endian ELF32 or ELF64 file; throws naming `what` if it is not one. */
export function elfNeeds(bytes: Uint8Array, what = 'file'): ElfNeeds {
  if (bytes.length < 52 || bytes[0] !== 0x7f || cString(bytes, 1).slice(0, 3) !== 'ELF') {
    throw new Error(`${what} is not an ELF file`);
  }
  const is64 = bytes[4] === 2;
  if (bytes[5] !== 1) throw new Error(`${what} is not little-endian ELF`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (at: number) =>
    is64 ? Number(view.getBigUint64(at, true)) : view.getUint32(at, true);
  const phoff = word(is64 ? 32 : 28);
  const phentsize = view.getUint16(is64 ? 54 : 42, true);
  const phnum = view.getUint16(is64 ? 56 : 44, true);
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    segments.push(
      is64
        ? {
            type: view.getUint32(at, true),
            offset: word(at + 8),
            vaddr: word(at + 16),
            filesz: word(at + 32),
          }
        : {
            type: view.getUint32(at, true),
            offset: view.getUint32(at + 4, true),
            vaddr: view.getUint32(at + 8, true),
            filesz: view.getUint32(at + 16, true),
          },
    );
  }
  const interpSeg = segments.find((s) => s.type === PT_INTERP);
  const interp = interpSeg ? cString(bytes, interpSeg.offset) : undefined;
  const dynamic = segments.find((s) => s.type === PT_DYNAMIC);
  if (!dynamic) return { interp, needed: [] };
  // DT_STRTAB is an address: find the loaded segment that holds it.
  const fileOffsetOf = (vaddr: number) => {
    const seg = segments.find(
      (s) => s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz,
    );
    if (!seg) throw new Error(`${what}: address 0x${vaddr.toString(16)} is in no loaded segment`);
    return seg.offset + (vaddr - seg.vaddr);
  };
  const entryBytes = is64 ? 16 : 8;
  const neededOffsets: number[] = [];
  let strtab: number | undefined;
  for (
    let at = dynamic.offset;
    at + entryBytes <= dynamic.offset + dynamic.filesz;
    at += entryBytes
  ) {
    const tag = word(at);
    const value = word(at + entryBytes / 2);
    if (tag === DT_NULL) break;
    if (tag === DT_NEEDED) neededOffsets.push(value);
    if (tag === DT_STRTAB) strtab = value;
  }
  if (neededOffsets.length > 0 && strtab === undefined) {
    throw new Error(`${what} has DT_NEEDED entries but no DT_STRTAB`);
  }
  const table = strtab === undefined ? 0 : fileOffsetOf(strtab);
  return { interp, needed: neededOffsets.map((off) => cString(bytes, table + off)) };
}
