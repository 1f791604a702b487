// Reads and validates a policy file. Every problem is reported with the file,
// line and field, so an operator can fix a ConfigMap without guessing.
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { didYouMean } from '../text/did-you-mean.ts';
import { policyKeys, policySchema, type Policy } from './policy-schema.ts';

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
    const node = doc.getIn(path.slice(0, depth) as (string | number)[], true) as
      { range?: [number, number, number] } | undefined;
    if (node?.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** The line of `key` in the map at `path` (an unknown key is reported where it is, not where its map starts). */
function keyLine(doc: Document, counter: LineCounter, path: readonly PropertyKey[], key: string): number | undefined {
  const node: unknown = path.length === 0 ? doc.contents : doc.getIn(path as (string | number)[], true);
  const pair = isMap(node) ? node.items.find((p) => isScalar(p.key) && String(p.key.value) === key) : undefined;
  const start = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
  return start === undefined ? lineOf(doc, counter, path) : counter.linePos(start).line;
}

/** Control characters (a newline, a terminal escape) in a key or value would split or forge the one-line message. */
const printable = (text: string): string =>
  text.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function fieldOf(path: readonly PropertyKey[]): string {
  return (
    path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '') || '(top level)'
  );
}

/** The problems of one zod issue: one per unknown key (each at its own line, with a guess), else one. */
function describeIssue(file: string, doc: Document, counter: LineCounter, issue: z.core.$ZodIssue): string[] {
  const field = fieldOf(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const line = keyLine(doc, counter, issue.path, key);
      const guess = didYouMean(key, policyKeys);
      return `${file}${line ? `:${line}` : ''}: ${field}: Unrecognized key: ${JSON.stringify(key)}${guess ? ` (did you mean "${guess}"?)` : ''}`;
    });
  }
  const line = lineOf(doc, counter, issue.path);
  // A record key that fails its own rule (a role name) says why, not zod's "Invalid key in record".
  const message = issue.code === 'invalid_key' ? issue.issues.map((i) => i.message).join('; ') : issue.message;
  return [`${file}${line ? `:${line}` : ''}: ${field}: ${message}`];
}

/** A YAML syntax error at its line; a duplicate key names the key (a role defined twice). */
function describeYamlError(file: string, text: string, counter: LineCounter, error: YAMLError): string {
  const first = error.message.split('\n')[0] ?? '';
  const key = error.code === 'DUPLICATE_KEY' ? /^[^:\n]{1,80}/.exec(text.slice(error.pos[0]))?.[0].trim() : undefined;
  return `${file}:${counter.linePos(error.pos[0]).line}: ${first}${key ? `: ${JSON.stringify(key)} appears more than once` : ''}`;
}

/** The document as plain data; an alias bomb (or any other failure to expand it) is a problem at its first alias. */
function toData(file: string, doc: Document, counter: LineCounter): unknown {
  try {
    return doc.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (error) {
    let line: number | undefined;
    visit(doc, {
      Alias: (_key, node) => {
        line = node.range ? counter.linePos(node.range[0]).line : undefined;
        return visit.BREAK;
      },
    });
    throw new PolicyError([
      `${file}${line ? `:${line}` : ''}: cannot be expanded: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
}

/** Validates policy text; `file` names it in messages. Throws PolicyError. */
export function parsePolicy(text: string, file: string): Policy {
  // An empty file would be a valid policy that grants nothing: far more often a
  // half-written file or a bad mount than an intent, so it is refused.
  if (text.trim() === '') throw new PolicyError([`${file}: is empty`]);
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new PolicyError(doc.errors.map((e) => printable(describeYamlError(file, text, counter, e))));
  const parsed = policySchema.safeParse(toData(file, doc, counter) ?? {});
  if (!parsed.success)
    throw new PolicyError(parsed.error.issues.flatMap((i) => describeIssue(file, doc, counter, i)).map(printable));
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
