// The import graph of src/ and commands/, read from the sources: each file's
// relative imports (static ones; `import type` marked), for the architecture
// tests. No compiler needed: the project writes its imports one way.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** One import of a file. */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  /** `import type` / `export type`: gone at run time. */
  readonly typeOnly: boolean;
}

const importPattern = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gmu;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return walk(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every relative static import of the .ts files under `dirs` (paths relative to `root`). */
export function importGraph(root: string, dirs: readonly string[]): ImportEdge[] {
  return dirs
    .flatMap((d) => walk(join(root, d)))
    .flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return [...text.matchAll(importPattern)].map((m) => ({
        from: relative(root, file),
        to: relative(root, resolve(dirname(file), m[3] ?? '')),
        typeOnly: m[2] !== undefined,
      }));
    });
}

/** A file's unit: its folder under src/ (`src/alerts`), commands/, or a file at src/'s top (`src/errors.ts`). */
export function unitOf(path: string): string {
  const parts = path.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : parts.join('/');
}

/** The strongly connected groups (of two or more) of a directed graph: its cycles. */
export function cycles(edges: readonly (readonly [string, string])[]): string[][] {
  const next = new Map<string, string[]>();
  for (const [a, b] of edges) if (a !== b) next.set(a, [...(next.get(a) ?? []), b]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) ?? 0);
    stack.push(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (stack.includes(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) group.push(w);
    if (group.length > 1) found.push(group.sort());
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return found;
}
