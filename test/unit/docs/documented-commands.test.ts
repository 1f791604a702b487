// The docs cannot drift from the parser: every concrete `/k8s …` example in the
// README and docs parses with the real registry, and the README's command table
// lists exactly the registry's commands.
import { describe, expect, it } from '@jest/globals';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRegistry } from '../../../commands/index.ts';
import { ParseError, parseCommand } from '../../../src/parse/parse-command.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const registry = createRegistry();
const limits = { defaultNamespace: 'default' };

async function markdownFiles(): Promise<string[]> {
  const docs = (await readdir(join(root, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => join(root, 'docs', f));
  return [join(root, 'README.md'), join(root, 'deploy', 'README.md'), ...docs];
}

/** `/k8s …` examples that are concrete: no placeholders (<x>, [x], …), approval ids excepted. */
function examplesIn(text: string): string[] {
  const found = [...text.matchAll(/\/k8s ([^`|\n]+)/g)].map((m) =>
    (m[1] ?? '')
      .replace(/\s+#.*$/u, '')
      .replace(/[.,;:)]+$/u, '')
      .trim(),
  );
  return found.filter((e) => e !== '' && !/[<>[\]…]/u.test(e) && !/^(approve|reject)\b/u.test(e));
}

describe('commands in the docs', () => {
  it('parse, every one of them', async () => {
    const examples: [string, string][] = [];
    for (const file of await markdownFiles())
      examples.push(
        ...examplesIn(await readFile(file, 'utf8')).map((e): [string, string] => [file.replace(root, ''), e]),
      );
    const failures = examples.flatMap(([file, example]) => {
      try {
        parseCommand(registry, example, limits);
        return [];
      } catch (error) {
        // A bare command name (`/k8s deploy` in prose) names the command; it is not an invocation.
        if (error instanceof ParseError && registry.get(example)) return [];
        return [`${file}: /k8s ${example} → ${error instanceof Error ? error.message : String(error)}`];
      }
    });
    expect(failures).toEqual([]);
    expect(examples.length).toBeGreaterThan(10);
  });

  it("the README's command table names every command the registry has", async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const table = readme.slice(
      readme.indexOf('## Commands'),
      readme.indexOf('\n## ', readme.indexOf('## Commands') + 5),
    );
    const missing = registry.commands
      .map((c) => c.name)
      .filter(
        (name) =>
          !table.includes(`\`${name}`) &&
          !table.includes(` ${name} `) &&
          !table.includes(`\`${name.split(' ')[1] ?? name}`),
      );
    expect(missing).toEqual([]);
  });
});
