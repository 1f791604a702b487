// What ships imports only what ships. The image copies src/ and commands/ and the
// production dependencies, nothing else (Dockerfile), so a file under src/ that
// imported test equipment from test/ (or a benchmark from bench/) would pass every
// check run from the repository and then either fail in the image or drag the
// test equipment into the product. Imports are read with TypeScript's own scanner:
// static and type-only imports, re-exports and dynamic import().
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The repository-relative paths of a file's relative (or absolute) imports; package imports are left out. */
function importedPaths(file: string, text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith('.') || specifier.startsWith('/'))
    .map((specifier) => relative(root, resolve(dirname(file), specifier)));
}

const within = (path: string, dirs: readonly string[]): boolean =>
  dirs.some((dir) => path === dir || path.startsWith(`${dir}${sep}`));

/** `file → import` for every import of a .ts file under `dirs` that lands outside `allowed` (repository-relative). */
function strayImports(dirs: readonly string[], allowed: readonly string[]): string[] {
  const files = dirs.flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts'))
      .map((name) => join(root, dir, name)),
  );
  return files.flatMap((file) =>
    importedPaths(file, readFileSync(file, 'utf8'))
      .filter((path) => !within(path, allowed))
      .map((path) => `${relative(root, file)} → ${path}`),
  );
}

describe('what ships imports only what ships', () => {
  it('no file under src/ imports anything under test/ or bench/, nor anything else the image does not copy', () => {
    expect(strayImports(['src'], ['src', 'commands'])).toEqual([]);
  });

  it('nor does a file under commands/', () => {
    expect(strayImports(['commands'], ['src', 'commands'])).toEqual([]);
  });

  it('sees static, type-only, re-exported and dynamic imports (so the checks above can fail)', () => {
    const file = join(root, 'src', 'console', 'example.ts');
    const text = [
      "import { a } from '../../test/support/a.ts';",
      "import type { B } from '../../test/support/b.ts';",
      "export * from '../../bench/c.ts';",
      "const d = await import('../../test/d.ts');",
      "import { e } from '../views/e.ts';",
      "import { f } from '@slack/bolt';",
    ].join('\n');
    expect(importedPaths(file, text)).toEqual([
      'test/support/a.ts',
      'test/support/b.ts',
      'bench/c.ts',
      'test/d.ts',
      'src/views/e.ts',
    ]);
  });

  it("reads the real files: the tests' Slack emulator does import from src/", () => {
    expect(strayImports(['test/support/slack-emulator'], ['test']).length).toBeGreaterThan(0);
  });
});
