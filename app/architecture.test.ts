// The import directions of STYLE.md, enforced: app/ never imports workers/, workers/ import only
// app/shared/ from app/, and app/shared/ imports nothing outside itself. Worker entry points are
// referenced by URL from app/spawn.ts and nowhere else in app/.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return /\.(ts|mts|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** Test code runs in Node and may import what it needs. */
const isTestCode = (file: string) => /\.test\.ts$/.test(file) || file.includes('/testing/');

const SPECIFIER = [
  /\bimport\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/g,
  /\bexport\s+(?:type\s+)?[^'"]*?\sfrom\s+['"]([^'"]+)['"]/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\bnew URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g,
];

function references(file: string): { spec: string; target: string | undefined }[] {
  const text = readFileSync(join(root, file), 'utf8');
  return SPECIFIER.flatMap((re) =>
    [...text.matchAll(re)].map((m) => {
      const spec = m[1] ?? '';
      const target = spec.startsWith('.')
        ? relative(root, resolve(root, dirname(file), spec))
        : undefined;
      return { spec, target };
    }),
  );
}

function violations(
  dir: string,
  allowed: (target: string, file: string) => boolean,
  packages: boolean,
) {
  return sources(dir)
    .filter((f) => !isTestCode(f))
    .flatMap((file) =>
      references(file)
        .filter(({ target }) => (target === undefined ? !packages : !allowed(target, file)))
        .map(({ spec }) => `${file} -> ${spec}`),
    );
}

const inside = (dir: string) => (target: string) => target === dir || target.startsWith(`${dir}/`);

describe('architecture', () => {
  it('app/shared/ imports nothing outside app/shared/ (no packages either)', () => {
    expect(violations('app/shared', inside('app/shared'), false)).toEqual([]);
  });

  it('workers/ imports from app/ only through app/shared/', () => {
    const ok = (t: string) => inside('workers')(t) || inside('app/shared')(t);
    expect(violations('workers', ok, true)).toEqual([]);
  });

  it('app/ never imports workers/; only app/spawn.ts names a worker entry point', () => {
    const ok = (t: string, file: string) =>
      inside('app')(t) || (file === 'app/spawn.ts' && inside('workers')(t));
    expect(violations('app', ok, true)).toEqual([]);
  });

  it('the checker resolves relative references (it sees spawn.ts naming workers/)', () => {
    const refs = references('app/spawn.ts');
    expect(refs.some((r) => r.target?.startsWith('workers/'))).toBe(true);
  });
});
