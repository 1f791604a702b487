// The README's configuration table names every variable the bot reads, so the
// reference cannot fall behind the code.
import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', '..');

describe('the configuration reference', () => {
  it('lists every environment variable src/config reads', async () => {
    const source = await readFile(join(root, 'src', 'config', 'load-config.ts'), 'utf8');
    const schema = source.slice(
      source.indexOf('const envSchema'),
      source.indexOf('});', source.indexOf('const envSchema')),
    );
    const variables = [...schema.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gmu)].map((m) => m[1] ?? '');
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    expect(variables.length).toBeGreaterThan(10);
    expect(variables.filter((v) => !readme.includes(`| \`${v}\` |`))).toEqual([]);
  });
});
