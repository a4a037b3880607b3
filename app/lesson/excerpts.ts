// The functions the lesson is about, cut out of this build's own source by name: each with its
// doc comment, up to the brace that closes it. A function renamed or moved makes excerpt()
// throw, and excerpts.test.ts fail, instead of the page showing a stale or missing excerpt.

/** What the page shows: the seed's three ideas, where they live, and what QEMU calls them. */
export const LESSON_FUNCTIONS = [
  {
    file: 'app/shared/pool/thread-pool.ts',
    name: 'spawnThreadLocked',
    qemu: 'spawn_thread()',
    role: 'a request finds no idle worker',
  },
  {
    file: 'app/shared/pool/thread-pool.ts',
    name: 'spawnThreadBh',
    qemu: 'spawn_thread_bh_fn(), the new_thread_bh bottom half',
    role: 'the main thread creates one worker',
  },
  {
    file: 'app/shared/pool/thread-pool.ts',
    name: 'workerStartedLocked',
    qemu: "the newborn's first act in worker_thread()",
    role: 'the newborn asks for the next one',
  },
] as const;

/** This build's text of each file the lesson cuts from, loaded on first use. */
export const LESSON_SOURCES: Record<string, () => Promise<{ default: string }>> = {
  'app/shared/pool/thread-pool.ts': () => import('../shared/pool/thread-pool.ts?raw'),
};

/** The lesson's functions as this build has them: [the function, its excerpt]. */
export async function lessonExcerpts(): Promise<[(typeof LESSON_FUNCTIONS)[number], string][]> {
  return Promise.all(
    LESSON_FUNCTIONS.map(async (f) => {
      const load = LESSON_SOURCES[f.file];
      if (!load)
        throw new Error(`the lesson cuts ${f.name}() from ${f.file}, which it does not load`);
      return [f, excerpt((await load()).default, f.name, f.file)] as [typeof f, string];
    }),
  );
}

/** Where a method or function named `name` is declared (at a line's start, after indent). */
function declaration(name: string): RegExp {
  return new RegExp(
    `^([ \\t]*)(?:export\\s+)?(?:(?:private|protected|public|static|async)\\s+)*` +
      `(?:function\\s+)?${name}\\s*\\(`,
    'm',
  );
}

/**
 * The declaration of `name` in `source`, with the doc comment right above it, up to its closing
 * brace, unindented. Throws naming the function and the file when it is not there.
 */
export function excerpt(source: string, name: string, file: string): string {
  const m = declaration(name).exec(source);
  if (!m) throw new Error(`the lesson shows ${name}(), but ${file} declares no ${name}()`);
  const indent = m[1];
  let from = m.index;
  const before = source.slice(0, from).trimEnd();
  if (before.endsWith('*/')) {
    const doc = before.lastIndexOf('/**');
    if (doc >= 0) from = source.lastIndexOf('\n', doc) + 1;
  }
  const open = source.indexOf('{', m.index + m[0].length);
  let depth = 0;
  let end = -1;
  for (let i = open; i >= 0 && i < source.length; i++) {
    if (source[i] === '{') depth++;
    else if (source[i] === '}' && --depth === 0) {
      end = i + 1;
      break;
    }
  }
  if (open < 0 || end < 0) throw new Error(`${name}() in ${file} has no body the lesson can cut`);
  const lines = source.slice(from, end).split('\n');
  return lines.map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l)).join('\n');
}
