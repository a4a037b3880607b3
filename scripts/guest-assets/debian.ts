// Debian's packages, through Debian's own tools: apt-cache says which version is current,
// apt-get download fetches it (it checks the archive's signatures and hashes), dpkg-deb -x
// unpacks it. Nothing is installed.

import { execFileSync } from 'node:child_process';
import type { GuestPackage } from '../../app/shared/guest/guest-manifest.ts';

/** A package as apt-cache shows its candidate version. */
export interface DebInfo extends GuestPackage {
  /** The .deb's file name in the archive (pool/…/name_version_arch.deb). */
  filename: string;
  sha256: string;
}

function run(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    const err = e as { stderr?: string; status?: number };
    throw new Error(
      `\`${cmd} ${args.join(' ')}\` failed (status ${String(err.status)}): ${String(err.stderr ?? e).trim()}`,
    );
  }
}

function onPath(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why Debian's packages cannot be fetched here, or undefined if they can. */
export function aptProblem(probe: string): string | undefined {
  const missing = ['apt-get', 'apt-cache', 'dpkg', 'dpkg-deb'].filter((t) => !onPath(t));
  if (missing.length) {
    return (
      `${missing.join(', ')} not found: the guest is built from Debian 12's packages with ` +
      "Debian's own tools"
    );
  }
  const foreign = run('dpkg', ['--print-foreign-architectures']).split(/\s+/);
  if (!foreign.includes('i386')) {
    return (
      'the i386 architecture is not enabled, so apt cannot see the 32-bit kernel and busybox: ' +
      'run `sudo dpkg --add-architecture i386 && sudo apt-get update` (nothing i386 gets ' +
      'installed; the build only downloads and unpacks)'
    );
  }
  try {
    showPackages([probe]);
  } catch {
    return (
      `apt knows no package ${probe}: run \`sudo apt-get update\`` +
      ' (after `sudo dpkg --add-architecture i386`); on a Debian release without i386 kernels ' +
      '(Debian 13 may have none), build on Debian 12'
    );
  }
  return undefined;
}

/** "name (version)" or "name" → [name, version]. */
function nameAndVersion(field: string, fallbackVersion: string): [string, string] {
  const m = /^(\S+)(?:\s+\(([^)]+)\))?$/.exec(field.trim());
  if (!m) throw new Error(`cannot read package field "${field}"`);
  return [m[1], m[2] ?? fallbackVersion];
}

function parseRecord(text: string, what: string): DebInfo {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9-]+): (.*)$/.exec(line);
    if (m && !fields.has(m[1])) fields.set(m[1], m[2]);
  }
  const need = (k: string) => {
    const v = fields.get(k);
    if (v === undefined) throw new Error(`apt-cache show ${what}: no ${k} field`);
    return v;
  };
  const name = need('Package');
  const version = need('Version');
  const [source, sourceVersion] = nameAndVersion(fields.get('Source') ?? name, version);
  const builtUsing = (fields.get('Built-Using') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^(\S+)\s+\(=\s*([^)]+)\)$/.exec(s);
      if (!m) throw new Error(`apt-cache show ${what}: cannot read Built-Using "${s}"`);
      return { name: m[1], version: m[2] };
    });
  return {
    name,
    version,
    arch: need('Architecture'),
    source,
    sourceVersion,
    builtUsing,
    filename: need('Filename'),
    sha256: need('SHA256'),
  };
}

/** The candidate versions of `specs` ("busybox-static:i386", "seabios"), in their order; one
 *  apt-cache call (each reads the whole package lists: seconds). */
export function showPackages(specs: readonly string[]): DebInfo[] {
  const text = run('apt-cache', ['show', '--no-all-versions', ...specs]);
  const records = text
    .split(/\n\s*\n/)
    .filter((r) => r.trim())
    .map((r) => parseRecord(r, specs.join(' ')));
  return specs.map((spec) => {
    const [name, arch] = spec.split(':');
    const found = records.find((r) => r.name === name && (arch === undefined || r.arch === arch));
    if (!found) throw new Error(`apt-cache show: no candidate for ${spec}`);
    return found;
  });
}

/** The package a metapackage depends on first, e.g. linux-image-686:i386 → linux-image-…-686:i386. */
export function firstDependency(spec: string): string {
  const text = run('apt-cache', ['depends', spec]);
  const m = /^\s+Depends: (\S+)/m.exec(text);
  if (!m) throw new Error(`apt-cache depends ${spec}: no Depends line`);
  const arch = spec.includes(':') ? spec.slice(spec.indexOf(':')) : '';
  return m[1].includes(':') ? m[1] : `${m[1]}${arch}`;
}

/** Download `pkg` into `dir` (kept: a cache), unless it is there already with the archive's hash.
 *  Returns the .deb's path. */
export function download(
  pkg: DebInfo,
  dir: string,
  hashOf: (file: string) => string | undefined,
): string {
  // apt-get download's own name for it: the version's epoch colon written as %3a.
  const file = `${dir}/${pkg.name}_${pkg.version.replace(':', '%3a')}_${pkg.arch}.deb`;
  if (hashOf(file) === pkg.sha256) return file;
  const spec = pkg.arch === 'all' ? pkg.name : `${pkg.name}:${pkg.arch}`;
  run('apt-get', ['download', '-q', `${spec}=${pkg.version}`], dir);
  const got = hashOf(file);
  if (got !== pkg.sha256) {
    throw new Error(`${file}: sha256 ${String(got)} is not the archive's ${pkg.sha256}`);
  }
  return file;
}

/** Unpack a .deb's files into `dir`. */
export function unpack(deb: string, dir: string): void {
  run('dpkg-deb', ['-x', deb, dir]);
}
