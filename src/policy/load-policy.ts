// Reads and validates a policy file. Every problem is reported with the file,
// line and field, so an operator can fix a ConfigMap without guessing.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { policySchema, type Policy } from './policy-schema.ts';

/** A policy that does not validate; `problems` are "file:line: field: message". */
export class PolicyError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'PolicyError';
    this.problems = problems;
  }
}

function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

function describeIssue(file: string, doc: Document, counter: LineCounter, issue: z.core.$ZodIssue): string {
  const line = lineOf(doc, counter, issue.path);
  const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(top level)';
  return `${file}${line ? `:${line}` : ''}: ${field}: ${issue.message}`;
}

/** Validates policy text; `file` names it in messages. Throws PolicyError. */
export function parsePolicy(text: string, file: string): Policy {
  // An empty file would be a valid policy that grants nothing: far more often a
  // half-written file or a bad mount than an intent, so it is refused.
  if (text.trim() === '') throw new PolicyError([`${file}: is empty`]);
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PolicyError(doc.errors.map((e) => `${file}:${counter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0] ?? ''}`));
  }
  const parsed = policySchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) throw new PolicyError(parsed.error.issues.map((i) => describeIssue(file, doc, counter, i)));
  return parsed.data;
}

/** Reads and validates a policy file. Throws PolicyError (also for an unreadable file). */
export async function loadPolicy(file: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PolicyError([`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  return parsePolicy(text, file);
}
