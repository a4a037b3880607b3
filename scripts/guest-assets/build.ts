// `npm run guest-assets`: the Linux guest the page boots in v86, built from Debian 12's packages
// into public/linux/ (git-ignored; Vite serves it and copies it into dist/): SeaBIOS, the i386
// kernel, and a gzipped newc initramfs (written by Debian's own cpio) with static busybox, the
// disk's kernel modules, e2fsprogs' mke2fs and e2fsck with the libraries readelf says they need,
// and an init that formats a blank /dev/sda, checks and mounts it, and gives a shell on the
// serial console. A rerun with the same package versions and recipe does nothing. Where apt is
// missing it says what to do; in CI (env CI) that is an error.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  lstatSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import {
  GUEST_MANIFEST_FILE,
  GUEST_MANIFEST_SCHEMA,
  type GuestFile,
  type GuestManifest,
  type GuestSource,
} from '../../app/shared/guest/guest-manifest.ts';
import {
  aptProblem,
  download,
  firstDependency,
  showPackages,
  unpack,
  type DebInfo,
} from './debian.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const OUT = join(ROOT, 'public', 'linux');
const DEBS = join(ROOT, '.cache', 'guest-assets');
const ROOTFS = join(HERE, 'rootfs');

/** The kernel's metapackage: the build takes the image it depends on today. */
const KERNEL_META = 'linux-image-686:i386';
/** Everything else, by name; libraries come from here by the binaries' DT_NEEDED. */
const PACKAGES = [
  'seabios',
  'busybox-static:i386',
  'e2fsprogs:i386',
  'libext2fs2:i386',
  'libcom-err2:i386',
  'libblkid1:i386',
  'libuuid1:i386',
  'libc6:i386',
];
/** Tools the build runs, for this machine's architecture (unpacked, never installed). */
const TOOLS = ['cpio'];
/** Dynamically linked programs copied into the initramfs, with their libraries. */
const PROGRAMS = ['sbin/mke2fs', 'sbin/e2fsck'];
/** The disk's modules (ata_piix, sd_mod, ext4 and what they need), in load order. */
const MODULES = [
  'scsi_common',
  'scsi_mod',
  'libata',
  'ata_piix',
  'crct10dif_common',
  'crct10dif_generic',
  'crc-t10dif',
  'crc64',
  'crc64_rocksoft_generic',
  'crc64-rocksoft',
  't10-pi',
  'sd_mod',
  'crc32c_generic',
  'crc16',
  'mbcache',
  'jbd2',
  'ext4',
];
const LIBRARY_DIRS = ['lib/i386-linux-gnu', 'usr/lib/i386-linux-gnu', 'lib', 'usr/lib'];

/** What we serve from each source package, for the page's licence notice. */
const LICENSES: Record<string, string> = {
  linux: 'GPL-2.0-only',
  'linux-signed-i386': 'GPL-2.0-only',
  busybox: 'GPL-2.0-only',
  seabios: 'LGPL-3.0-or-later',
  glibc: 'LGPL-2.1-or-later',
  e2fsprogs: 'GPL-2.0-or-later (mke2fs, e2fsck), LGPL-2.0-or-later (libext2fs, libe2p, libcom_err)',
  'util-linux': 'LGPL-2.1-or-later (libblkid), BSD-3-Clause (libuuid)',
};

const log = (message: string) => process.stderr.write(`guest-assets: ${message}\n`);

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
const hashOfFile = (file: string) => (existsSync(file) ? sha256(readFileSync(file)) : undefined);

/** Every file under `dir`, relative, sorted. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path, base) : [relative(base, path)];
    });
}

/** The recipe: this folder's code and the rootfs files; a change rebuilds. */
function recipeHash(): string {
  const h = createHash('sha256');
  for (const file of walk(HERE)) {
    h.update(file)
      .update('\0')
      .update(readFileSync(join(HERE, file)));
  }
  return h.digest('hex');
}

function upToDate(key: string): GuestManifest | undefined {
  const file = join(OUT, GUEST_MANIFEST_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as GuestManifest;
    if (m.schema !== GUEST_MANIFEST_SCHEMA || m.key !== key) return undefined;
    const whole = Object.values(m.files).every((f) => {
      const path = join(OUT, f.path);
      return existsSync(path) && statSync(path).size === f.bytes;
    });
    return whole ? m : undefined;
  } catch {
    return undefined;
  }
}

function sourceUrls(name: string, version: string) {
  return {
    snapshotUrl: `https://snapshot.debian.org/package/${name}/${encodeURIComponent(version)}/`,
    sourcesUrl: `https://sources.debian.org/src/${name}/${encodeURIComponent(version)}/`,
  };
}

/** Each source package once, with the binaries (and Built-Using) that brought it. */
function sourcesOf(debs: readonly DebInfo[]): GuestSource[] {
  const byKey = new Map<string, GuestSource>();
  const add = (name: string, version: string, via: string) => {
    const key = `${name} ${version}`;
    const known = byKey.get(key);
    if (known) {
      if (!known.via.includes(via)) known.via.push(via);
      return;
    }
    const license = LICENSES[name];
    if (!license)
      throw new Error(`no licence known for source package ${name}: add it to LICENSES`);
    byKey.set(key, { name, version, license, ...sourceUrls(name, version), via: [via] });
  };
  for (const d of debs) {
    add(d.source, d.sourceVersion, d.name);
    for (const b of d.builtUsing) add(b.name, b.version, `${d.name} (Built-Using)`);
  }
  return [...byKey.values()];
}

/** A library by soname, from the unpacked packages, following symlinks. */
function findLibrary(tree: string, soname: string): string {
  for (const dir of LIBRARY_DIRS) {
    const path = join(tree, dir, soname);
    if (existsSync(path)) return realpathSync(path);
  }
  throw new Error(`no ${soname} in the unpacked packages: add its package to PACKAGES`);
}

/** A program's interpreter and DT_NEEDED libraries, as binutils' readelf reads its headers. */
function elfNeeds(path: string): { interp: string | undefined; needed: string[] } {
  let out: string;
  try {
    out = execFileSync('readelf', ['--dynamic', '--program-headers', '--wide', path], {
      encoding: 'utf8',
    });
  } catch (e) {
    throw new Error(`readelf on ${path} failed (is binutils installed?): ${(e as Error).message}`);
  }
  const interp = /\[Requesting program interpreter: ([^\]]+)\]/.exec(out)?.[1];
  const needed = [...out.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  return { interp, needed };
}

/** The initramfs, as a directory `root`: busybox, the rootfs files, modules, programs and their
 *  libraries. No device nodes (they would need root to make): the init mounts devtmpfs. */
function stageInitramfs(tree: string, kernelRelease: string, root: string): void {
  const put = (path: string, from: string, mode = 0o644) => {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    copyFileSync(from, join(root, path));
    chmodSync(join(root, path), mode);
  };
  const dirs = ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'mnt', 'tmp', 'root'];
  for (const d of [...dirs, 'run']) mkdirSync(join(root, d), { recursive: true });
  put('bin/busybox', join(tree, 'bin/busybox'), 0o755);
  // The kernel runs /init; busybox takes its applet from the name (init reads /etc/inittab).
  symlinkSync('bin/busybox', join(root, 'init'));
  symlinkSync('busybox', join(root, 'bin/sh'));
  for (const f of walk(ROOTFS)) {
    const path = join(ROOTFS, f);
    put(f, path, statSync(path).mode & 0o111 ? 0o755 : 0o644);
  }
  put('etc/mke2fs.conf', join(tree, 'etc/mke2fs.conf'));
  const moduleDir = join(tree, 'lib/modules', kernelRelease, 'kernel');
  const allModules = new Map(
    walk(moduleDir)
      .filter((f) => f.endsWith('.ko'))
      .map((f) => [f.slice(f.lastIndexOf('/') + 1, -'.ko'.length), f]),
  );
  for (const m of MODULES) {
    const found = allModules.get(m) ?? allModules.get(m.replaceAll('-', '_'));
    if (!found) throw new Error(`module ${m} is not in ${kernelRelease}: update MODULES`);
    put(`lib/modules/${m}.ko`, join(moduleDir, found));
  }
  writeFileSync(join(root, 'etc/modules'), `${MODULES.join('\n')}\n`);
  // Programs and, transitively, their libraries and interpreter, where they expect them.
  const libs = new Map<string, string>();
  const need = (path: string) => {
    const { interp, needed } = elfNeeds(path);
    if (interp && !libs.has(interp)) libs.set(interp, realpathSync(join(tree, interp)));
    for (const soname of needed) {
      const target = `lib/i386-linux-gnu/${soname}`;
      if (libs.has(target)) continue;
      const found = findLibrary(tree, soname);
      libs.set(target, found);
      need(found);
    }
  };
  for (const p of PROGRAMS) {
    need(join(tree, p));
    put(p, join(tree, p), 0o755);
  }
  for (const [target, path] of [...libs].sort()) put(target.replace(/^\//, ''), path, 0o755);
}

/** `root` as a newc archive (the initramfs format), owned by root, by Debian's cpio. */
function cpioArchive(cpio: string, root: string): Buffer {
  const members = ['.', ...walkAll(root)].join('\n');
  return execFileSync(cpio, ['--quiet', '-o', '-H', 'newc', '--owner', '0:0', '--reproducible'], {
    cwd: root,
    input: `${members}\n`,
    maxBuffer: 256 << 20,
  });
}

/** Every entry under `dir` (directories and symlinks too), relative, parents first, sorted. */
function walkAll(dir: string, base = dir): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      const rel = relative(base, path);
      const st = lstatSync(path);
      return st.isDirectory() ? [rel, ...walkAll(path, base)] : [rel];
    });
}

function publish(name: string, bytes: Uint8Array): GuestFile {
  const tmp = join(OUT, `.${name}.tmp`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, join(OUT, name));
  return { path: name, bytes: bytes.byteLength, sha256: sha256(bytes) };
}

function build(): void {
  const problem = aptProblem('busybox-static:i386');
  if (problem) {
    const what =
      `cannot build the Linux guest: ${problem}.\n` +
      '  The "Linux" view needs public/linux/: build it on a Debian 12 machine with ' +
      '`npm run guest-assets`\n  (or `bash .ci/run`, which enables i386 and runs it), or copy ' +
      'public/linux/ from a machine that has it. Everything else works without it.';
    if (process.env.CI) {
      log(`ERROR: ${what}`);
      process.exit(1);
    }
    log(`WARNING: ${what}`);
    return;
  }
  const kernel = firstDependency(KERNEL_META);
  const specs = [...PACKAGES, kernel];
  const debs = showPackages(specs);
  const toolDebs = showPackages(TOOLS);
  const key = sha256(
    JSON.stringify({
      recipe: recipeHash(),
      packages: [...debs, ...toolDebs].map((d) => `${d.name}=${d.version}`),
    }),
  );
  const current = upToDate(key);
  if (current) {
    log(
      `up to date (kernel ${current.kernelRelease}; ${debs.map((d) => `${d.name} ${d.version}`).join(', ')})`,
    );
    return;
  }
  log(`building from ${debs.map((d) => `${d.name} ${d.version}`).join(', ')}`);
  mkdirSync(DEBS, { recursive: true });
  mkdirSync(OUT, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'webaio-guest-'));
  const [tree, tools, stage] = ['tree', 'tools', 'initramfs'].map((d) => join(work, d));
  try {
    for (const d of debs) unpack(download(d, DEBS, hashOfFile), tree);
    for (const d of toolDebs) unpack(download(d, DEBS, hashOfFile), tools);
    const kernelRelease = readdirSync(join(tree, 'lib/modules'))[0];
    if (!kernelRelease) throw new Error(`${kernel} holds no lib/modules/<release>`);
    stageInitramfs(tree, kernelRelease, stage);
    const archive = cpioArchive(join(tools, 'bin/cpio'), stage);
    const files = {
      bios: publish('bios.bin', readFileSync(join(tree, 'usr/share/seabios/bios.bin'))),
      vgaBios: publish(
        'vgabios.bin',
        readFileSync(join(tree, 'usr/share/seabios/vgabios-stdvga.bin')),
      ),
      kernel: publish('vmlinuz', readFileSync(join(tree, `boot/vmlinuz-${kernelRelease}`))),
      initrd: publish('initrd.img', gzipSync(archive, { level: 9 })),
    };
    const manifest: GuestManifest = {
      schema: GUEST_MANIFEST_SCHEMA,
      key,
      builtAt: new Date().toISOString(),
      kernelRelease,
      files,
      packages: debs.map(({ filename: _f, sha256: _s, ...p }) => p),
      sources: sourcesOf(debs),
    };
    publish(
      GUEST_MANIFEST_FILE,
      new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
    );
    log(
      `wrote ${relative(ROOT, OUT)}/: kernel ${kernelRelease} (${files.kernel.bytes} bytes), ` +
        `initramfs ${files.initrd.bytes} bytes (${archive.byteLength} unpacked)`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  build();
} catch (e) {
  log(`ERROR: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
