// docs/architecture.md is the map a new engineer reads first: it must match the
// code. Every folder it names exists, every folder of the code is on it, and every
// run-time import between folders is one its table allows.
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importGraph, unitOf } from './import-graph.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const page = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');

/** A code unit as the page names it: commands/ is one unit. */
const unitName = (path: string): string => (path.startsWith('commands/') ? 'commands/' : unitOf(path));
const named = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/gu)].map((m) => m[1] ?? '');

/** The table "What each folder owns, and may import": unit → the units it may import. */
function allowedImports(): Map<string, Set<string>> {
  const section = page.split('## What each folder owns')[1]?.split('\n## ')[0] ?? '';
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  const table = new Map<string, Set<string>>();
  for (const row of rows) {
    const [, folder = '', , may = ''] = row.split('|').map((cell) => cell.trim());
    const unit = named(folder)[0] ?? '';
    // "every folder above but X": the units of the rows before it, less the ones it names.
    const allowed = may.startsWith('every folder above')
      ? [...table.keys()].filter((u) => !named(may).includes(u))
      : named(may);
    table.set(unit, new Set(allowed));
  }
  return table;
}

const table = allowedImports();
const edges = importGraph(root, ['src', 'commands']);

describe('docs/architecture.md', () => {
  it('has a row for every folder of src/ and for commands/', () => {
    const units = new Set(edges.flatMap((e) => [unitName(e.from), unitName(e.to)]));
    expect([...units].filter((u) => !table.has(u)).sort()).toEqual([]);
    expect(table.size).toBeGreaterThan(15);
  });

  it('names only folders and files that exist', () => {
    const everyName = [...table.keys(), ...[...table.values()].flatMap((s) => [...s])];
    expect([...new Set(everyName)].filter((name) => !existsSync(join(root, name)))).toEqual([]);
  });

  it('allows every run-time import between folders that the code makes', () => {
    const broken = edges
      .filter((e) => !e.typeOnly)
      .map((e) => [unitName(e.from), unitName(e.to)] as const)
      .filter(([a, b]) => a !== b && !(table.get(a)?.has(b) ?? false))
      .map(([a, b]) => `${a} → ${b}`);
    expect([...new Set(broken)].sort()).toEqual([]);
  });

  it('names files of the journeys that exist', () => {
    const journeys = page.split('## A `/k8s deploy`')[1]?.split('## Glossary')[0] ?? '';
    const files = named(journeys).filter((n) => /\.ts$/u.test(n) && n.includes('/'));
    expect(files.length).toBeGreaterThan(15);
    expect(files.filter((f) => !existsSync(join(root, f)))).toEqual([]);
  });
});
