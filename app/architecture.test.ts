// The import directions of STYLE.md, enforced: app/ never imports workers/, workers/ import only
// app/shared/ from app/, and app/shared/ imports nothing outside itself. Worker entry points are
// referenced by URL from app/spawn.ts and nowhere else in app/. The benchmark is bench/'s alone:
// the product reaches it only through one lazy import() (app/lazy-bench.ts) and erased types.
// A region of the control buffer (app/shared/**/*-layout.ts) never imports the core that places it,
// and the primitives (app/shared/sync/) import nothing above them.

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

/**
 * How a file refers to another: `type` is erased at build (`import type`, `export type … from`;
 * an inline `{ type X }` is not, under verbatimModuleSyntax), `lazy` is an `import()`, `url` a
 * worker entry point named by `new URL(…, import.meta.url)`.
 */
type Kind = 'static' | 'type' | 'lazy' | 'url';

const SPECIFIER: { re: RegExp; kind: (m: RegExpMatchArray) => Kind }[] = [
  {
    re: /\bimport\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/g,
    kind: (m) => (m[1] ? 'type' : 'static'),
  },
  {
    re: /\bexport\s+(type\s+)?[^'"]*?\sfrom\s+['"]([^'"]+)['"]/g,
    kind: (m) => (m[1] ? 'type' : 'static'),
  },
  { re: /\bimport\(\s*()['"]([^'"]+)['"]\s*\)/g, kind: () => 'lazy' },
  { re: /\bnew URL\(\s*()['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g, kind: () => 'url' },
];

interface Ref {
  spec: string;
  /** The referenced path from the repository's root; undefined for a package. */
  target: string | undefined;
  kind: Kind;
}

function references(file: string, text = readFileSync(join(root, file), 'utf8')): Ref[] {
  return SPECIFIER.flatMap(({ re, kind }) =>
    [...text.matchAll(re)].map((m) => {
      const spec = m[2] ?? '';
      const target = spec.startsWith('.')
        ? relative(root, resolve(root, dirname(file), spec))
        : undefined;
      return { spec, target, kind: kind(m) };
    }),
  );
}

type Allowed = (target: string, file: string, kind: Kind) => boolean;

/** What in `file` (whose text is `text`) breaks the rule. */
function offences(file: string, text: string, allowed: Allowed, packages: boolean): string[] {
  return references(file, text)
    .filter(({ target, kind }) => (target === undefined ? !packages : !allowed(target, file, kind)))
    .map(({ spec }) => `${file} -> ${spec}`);
}

function violations(dir: string, allowed: Allowed, packages: boolean) {
  return sources(dir)
    .filter((f) => !isTestCode(f))
    .flatMap((file) => offences(file, readFileSync(join(root, file), 'utf8'), allowed, packages));
}

const inside = (dir: string) => (target: string) => target === dir || target.startsWith(`${dir}/`);

/** The one file of app/ that may load the benchmark, and what it loads. */
const LAZY_BENCH = 'app/lazy-bench.ts';
const BENCH_PAGE_ENTRY = 'bench/page/index.ts';

/** app/ -> bench/: erased types anywhere, and LAZY_BENCH's import() of bench/page/. */
const appToBench: Allowed = (t, file, kind) =>
  !inside('bench')(t) ||
  kind === 'type' ||
  (file === LAZY_BENCH && kind === 'lazy' && t === BENCH_PAGE_ENTRY);

const benchSharedOk: Allowed = (t) => inside('bench/shared')(t) || inside('app/shared')(t);

/** bench/worker/: opens images with the raw driver's own helpers (workers/block/), as the pool does. */
const benchWorkerOk: Allowed = (t) =>
  inside('bench/worker')(t) ||
  inside('bench/shared')(t) ||
  inside('app/shared')(t) ||
  inside('workers/block')(t);

/** bench/page/: the page's code and the benchmark's own; its worker only from its spawn.ts. */
const benchPageOk: Allowed = (t, file, kind) =>
  inside('bench/page')(t) ||
  inside('bench/shared')(t) ||
  inside('app')(t) ||
  (file === 'bench/page/spawn.ts' && kind === 'url' && inside('bench/worker')(t));

/** A region of the control buffer (app/shared/*-layout.ts) declares its words; only the core,
 *  layout.ts, places it. A region that reached the core would tie its words to another's place. */
const isRegion = (file: string) => /^app\/shared\/([a-z]+\/)?[a-z-]+-layout\.ts$/.test(file);
const CORE = ['app/shared/layout/layout.ts', 'app/shared/layout/control-params.ts'];
const regionOk: Allowed = (t) => !CORE.includes(t);

/** The primitives (app/shared/sync/: mutex, condvar, bottom halves, clock, deadline) sit under
 *  everything else: they know the layout core's types and nothing of the pool, the block layer,
 *  the devices or the trace. */
const syncOk: Allowed = (t, _file, kind) =>
  inside('app/shared/sync')(t) || (kind === 'type' && inside('app/shared/layout')(t));

/** Code that ships in the page or its workers. */
const PRODUCT = ['app', 'workers', 'bench/shared', 'bench/page', 'bench/worker'];

describe('architecture', () => {
  it('app/shared/ imports nothing outside app/shared/ (no packages either)', () => {
    expect(violations('app/shared', inside('app/shared'), false)).toEqual([]);
  });

  it('a region (app/shared/**/*-layout.ts) imports neither the layout core nor its parameters', () => {
    const regions = sources('app/shared').filter(isRegion);
    expect(regions).toContain('app/shared/block/slot-layout.ts');
    const text = (file: string) => readFileSync(join(root, file), 'utf8');
    expect(regions.flatMap((f) => offences(f, text(f), regionOk, false))).toEqual([]);
    const planted = "import type { Control } from '../layout/layout.ts';";
    expect(offences('app/shared/pool/planted-layout.ts', planted, regionOk, false)).toEqual([
      'app/shared/pool/planted-layout.ts -> ../layout/layout.ts',
    ]);
  });

  it("the primitives (app/shared/sync/) import only each other and the layout core's types", () => {
    expect(violations('app/shared/sync', syncOk, false)).toEqual([]);
    const planted =
      "import type { Control } from '../layout/layout.ts';\n" +
      "import { PoolCore } from '../pool/thread-pool.ts';\n" +
      "import { createControl } from '../layout/layout.ts';";
    expect(offences('app/shared/sync/planted.ts', planted, syncOk, false)).toEqual([
      'app/shared/sync/planted.ts -> ../pool/thread-pool.ts',
      'app/shared/sync/planted.ts -> ../layout/layout.ts',
    ]);
  });

  it('workers/ imports from app/ only through app/shared/', () => {
    const ok = (t: string) => inside('workers')(t) || inside('app/shared')(t);
    expect(violations('workers', ok, true)).toEqual([]);
  });

  it('workers/ never imports bench/', () => {
    expect(violations('workers', (t) => !inside('bench')(t), true)).toEqual([]);
  });

  it('app/ never imports workers/; only app/spawn.ts names a worker entry point', () => {
    // app/ -> bench/ is the next rule's.
    const ok = (t: string, file: string) =>
      inside('app')(t) || inside('bench')(t) || (file === 'app/spawn.ts' && inside('workers')(t));
    expect(violations('app', ok, true)).toEqual([]);
  });

  it(`app/ imports bench/ only as types, or lazily from ${LAZY_BENCH}`, () => {
    expect(violations('app', appToBench, true)).toEqual([]);
  });

  it('bench/shared/ imports only bench/shared/ and app/shared/ (no packages either)', () => {
    expect(violations('bench/shared', benchSharedOk, false)).toEqual([]);
  });

  it('bench/worker/ imports only bench/worker/, bench/shared/, app/shared/, workers/block/ and packages', () => {
    expect(violations('bench/worker', benchWorkerOk, true)).toEqual([]);
  });

  it('bench/page/ never imports workers/ or bench/cli/; only its spawn.ts names bench/worker/', () => {
    expect(violations('bench/page', benchPageOk, true)).toEqual([]);
  });

  it('nothing that ships in the page imports bench/cli/', () => {
    const ok = (t: string) => !inside('bench/cli')(t);
    expect(PRODUCT.flatMap((dir) => violations(dir, ok, true))).toEqual([]);
  });

  it('e2e/ and bench/cli/ do not import each other (both launch Chromium from scripts/)', () => {
    expect(violations('e2e', (t) => !inside('bench')(t), true)).toEqual([]);
    expect(violations('bench/cli', (t) => !inside('e2e')(t), true)).toEqual([]);
  });

  it('the checker resolves relative references (it sees spawn.ts naming workers/)', () => {
    const refs = references('app/spawn.ts');
    expect(refs.some((r) => r.target?.startsWith('workers/'))).toBe(true);
  });

  it('the checker sees a planted violation of each benchmark rule, and lets the allowed pass', () => {
    const planted = [
      "import { bench } from '../../bench/page/index.ts';",
      "export { coldBurstTable } from '../../bench/shared/cold-burst-table.ts';",
      "const m = import('../../bench/page/index.ts');",
      "import type { Bench } from '../../bench/page/index.ts';",
      "import { type ColdBurstResult } from '../../bench/shared/cold-burst-params.ts';",
    ].join('\n');
    expect(offences('app/ui/planted.ts', planted, appToBench, true)).toEqual([
      'app/ui/planted.ts -> ../../bench/page/index.ts',
      'app/ui/planted.ts -> ../../bench/shared/cold-burst-params.ts',
      'app/ui/planted.ts -> ../../bench/shared/cold-burst-table.ts',
      'app/ui/planted.ts -> ../../bench/page/index.ts',
    ]);
    const lazy = "const m = import('../bench/page/index.ts');";
    expect(offences(LAZY_BENCH, lazy, appToBench, true)).toEqual([]);

    const shared = "import { wrap } from 'comlink';\nimport { h } from '../../app/dom.ts';";
    expect(offences('bench/shared/planted.ts', shared, benchSharedOk, false)).toEqual([
      'bench/shared/planted.ts -> comlink',
      'bench/shared/planted.ts -> ../../app/dom.ts',
    ]);
    const worker = [
      "import { openImageDb } from '../../workers/block/image-db.ts';",
      "import { Cpu } from '../../workers/vcpu/cpu.ts';",
    ].join('\n');
    expect(offences('bench/worker/planted.ts', worker, benchWorkerOk, true)).toEqual([
      'bench/worker/planted.ts -> ../../workers/vcpu/cpu.ts',
    ]);
    const page = [
      "import { USAGE } from '../cli/bench-args.ts';",
      "new Worker(new URL('../../workers/aio-worker.ts', import.meta.url));",
      "new Worker(new URL('../worker/ceiling-worker.ts', import.meta.url));",
    ].join('\n');
    expect(offences('bench/page/planted.ts', page, benchPageOk, true)).toHaveLength(3);
    expect(offences('bench/page/spawn.ts', page, benchPageOk, true)).toHaveLength(2);
  });
});
