// The page's excerpts come from the real source: every function the lesson names is found in the
// file it names, and the page names no file the repository does not have.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { excerpt, LESSON_FUNCTIONS, LESSON_SOURCES, lessonExcerpts } from './excerpts.ts';

const root = resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

describe('lesson/excerpts', () => {
  for (const f of LESSON_FUNCTIONS) {
    it(`${f.name} is cut whole out of ${f.file}`, () => {
      const text = excerpt(read(f.file), f.name, f.file);
      expect(text).toMatch(new RegExp(`^(?:\\/\\*\\*[^]*?\\*\\/\\n)?(?:async )?${f.name}\\(`));
      expect(text.trimEnd().endsWith('}')).toBe(true);
      // Balanced: the excerpt is the whole function, not the start of it.
      expect(text.split('{').length).toBe(text.split('}').length);
    });
  }

  it('the page loads the same text as the repository has, for every file it cuts from', async () => {
    for (const f of LESSON_FUNCTIONS) {
      const load = LESSON_SOURCES[f.file];
      expect(load, f.file).toBeDefined();
      expect((await load()).default).toBe(read(f.file));
    }
    expect((await lessonExcerpts()).map(([f]) => f.name)).toEqual(
      LESSON_FUNCTIONS.map((f) => f.name),
    );
  });

  it('throws, naming the function and the file, when the function is not there', () => {
    expect(() => excerpt('class P {\n  other() {}\n}\n', 'spawnThreadBh', 'app/x.ts')).toThrow(
      'the lesson shows spawnThreadBh(), but app/x.ts declares no spawnThreadBh()',
    );
  });

  it('finds an async method and keeps its doc comment', () => {
    const source =
      'class P {\n  /** Doc. */\n  async go(a: number): Promise<void> {\n    if (a) {\n      return;\n    }\n  }\n\n  next() {}\n}\n';
    expect(excerpt(source, 'go', 'p.ts')).toBe(
      '/** Doc. */\nasync go(a: number): Promise<void> {\n  if (a) {\n    return;\n  }\n}',
    );
  });

  it('the page refers to no file that is not in this repository', () => {
    const texts = ['index.html'];
    for (const dir of ['app/lesson', 'app/ui']) {
      for (const name of readdirSync(join(root, dir))) {
        if (name.endsWith('.ts') && !name.endsWith('.test.ts')) texts.push(`${dir}/${name}`);
      }
    }
    const shown = [
      ...texts.map(read),
      ...LESSON_FUNCTIONS.map((f) => excerpt(read(f.file), f.name, f.file)),
    ];
    // Paths from the repository's root ("docs/api.md", "README.md"); relative ones ("../x.ts")
    // are import specifiers.
    const paths = /(?<![\w./-])(?:(?:[\w-]+\/)+[\w.-]+\.(?:md|ts|js|json)|[\w-]+\.md)\b/g;
    const named = new Set(shown.flatMap((t) => [...t.matchAll(paths)].map((m) => m[0])));
    expect(named.size).toBeGreaterThan(0);
    const missing = [...named].filter((path) => !existsSync(join(root, path)));
    expect(missing).toEqual([]);
  });
});
