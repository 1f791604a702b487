// Layers call down, never up: no two folders of src/ (and commands/) import each
// other at run time, and no two files import each other at all (not even for
// types), so a newcomer can read the code from the bottom up. (That nothing in
// src/ imports a test's equipment is test/unit/ship/product-imports.test.ts.)
import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { cycles, importGraph, unitOf } from './import-graph.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const edges = importGraph(root, ['src', 'commands']);

describe('the import graph', () => {
  it('reads the imports (a graph of hundreds of edges, some of them type-only)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges.some((e) => e.typeOnly)).toBe(true);
  });

  it('has no cycle between folders (run-time imports)', () => {
    const folderEdges = edges.filter((e) => !e.typeOnly).map((e) => [unitOf(e.from), unitOf(e.to)] as const);
    expect(cycles(folderEdges)).toEqual([]);
  });

  it('has no cycle between files, type-only imports included', () => {
    expect(cycles(edges.map((e) => [e.from, e.to] as const))).toEqual([]);
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    expect(
      cycles([
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'a'],
        ['c', 'd'],
      ]),
    ).toEqual([['a', 'b', 'c']]);
  });
});
