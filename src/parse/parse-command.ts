// Text → a resolved request: words are matched against the registry's grammar
// (positionals and flags), validated by the command's zod schema, and worked out
// once — the verb the words need, the target, the deployment's line — so the
// gateway and the worker act on the same answer instead of each working it out.
// Every refusal says what was wrong, shows the usage line, and suggests a spelling.
import type { z } from 'zod';
import type { CommandRegistry } from '../registry/command-registry.ts';
import { everything, type AccessRequest } from '../policy/decide.ts';
import {
  targetKey,
  type AnyCommandSpec,
  type CommandTarget,
  type FlagSpec,
  type PolicyVerb,
} from '../registry/command-spec.ts';
import { didYouMean } from '../text/did-you-mean.ts';
import { ParseError } from './parse-error.ts';
import { tokenize } from './tokenize.ts';

export { ParseError };

/** A request worked out: the command, its validated arguments, and what they mean for policy, locks and audit. */
export interface CommandRequest {
  readonly command: AnyCommandSpec;
  readonly args: Record<string, unknown>;
  /** The words as bound to positionals and flags, before validation: what a job carries. */
  readonly input: Record<string, string | boolean>;
  /** The policy verb these words need (`unlock --break` needs `break`). */
  readonly verb: PolicyVerb;
  /** What it acts on; absent for commands about no target (help, audit). */
  readonly target?: CommandTarget;
  /** For a change of one Deployment, `ns/name`: the line it joins and the lock it takes. */
  readonly line?: string;
  /** "deploy web to … in staging": the wording of its thread root and audit records. */
  readonly description: string;
}

/** What the policy is asked about a request: its verb and target, a whole namespace as "every deployment" there. */
export function accessOf(request: Pick<CommandRequest, 'verb' | 'target'>): AccessRequest {
  const target = request.target;
  if (!target) return { verb: request.verb };
  const deployment = target.wholeNamespace ? everything : target.deployment;
  return { verb: request.verb, namespace: target.namespace, ...(deployment ? { deployment } : {}) };
}

/** Defaults the parser fills in. */
export interface ParseDefaults {
  /** The namespace of commands that take one when no -n is given (the policy's, else COXSWAIN_DEFAULT_NAMESPACE). */
  readonly defaultNamespace: string;
}

function findCommand(registry: CommandRegistry, words: readonly string[]): { command: AnyCommandSpec; rest: string[] } {
  const [first = '', second = ''] = words.map((w) => w.toLowerCase());
  const two = registry.get(`${first} ${second}`);
  if (two) return { command: two, rest: words.slice(2) };
  const one = registry.get(first);
  if (one) return { command: one, rest: words.slice(1) };
  const names = registry.commands.map((c) => c.name);
  const groupNames = names.filter((n) => n.startsWith(`${first} `));
  if (groupNames.length > 0) {
    const suggestion = didYouMean(`${first} ${second}`, groupNames, { maxDistance: 2 });
    const what = second ? `\`${first} ${second}\` is not a command` : `\`${first}\` needs a subcommand`;
    throw new ParseError(
      `${what}; try one of: ${groupNames.map((n) => `\`${n}\``).join(', ')}.`,
      suggestion ? { suggestion } : {},
    );
  }
  const firstWords = [...new Set(names.map((n) => n.split(' ')[0] ?? n))];
  const suggestion = didYouMean(first, firstWords, { maxDistance: 2 });
  throw new ParseError(`\`${first}\` is not a command. \`/k8s help\` lists them.`, suggestion ? { suggestion } : {});
}

interface FlagMatch {
  readonly name: string;
  readonly spec: FlagSpec;
  readonly inlineValue?: string;
}

function matchFlag(command: AnyCommandSpec, word: string): FlagMatch {
  const long = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(word);
  const short = /^-([a-zA-Z])$/.exec(word);
  const entries = Object.entries(command.flags);
  const found = long
    ? entries.find(([name]) => name === long[1])
    : entries.find(([, spec]) => spec.short === short?.[1]);
  if (found) return { name: found[0], spec: found[1], ...(long?.[2] !== undefined ? { inlineValue: long[2] } : {}) };
  const known = entries.flatMap(([name, spec]) => [`--${name}`, ...(spec.short ? [`-${spec.short}`] : [])]);
  const suggestion = didYouMean(word.split('=')[0] ?? word, known);
  throw new ParseError(`\`${command.name}\` has no flag \`${word.split('=')[0]}\`.`, {
    usage: command.usage,
    ...(suggestion ? { suggestion } : {}),
  });
}

const isFlag = (word: string): boolean => /^--?[a-zA-Z]/.test(word);

function takeFlag(command: AnyCommandSpec, words: string[], i: number, out: Record<string, string | boolean>): number {
  const word = words[i] ?? '';
  const flag = matchFlag(command, word);
  if (out[flag.name] !== undefined)
    throw new ParseError(`\`--${flag.name}\` is given twice.`, { usage: command.usage });
  if (flag.spec.kind === 'boolean') {
    if (flag.inlineValue !== undefined)
      throw new ParseError(`\`--${flag.name}\` takes no value.`, { usage: command.usage });
    out[flag.name] = true;
    return i + 1;
  }
  const value = flag.inlineValue ?? words[i + 1];
  if (value === undefined || (flag.inlineValue === undefined && isFlag(value))) {
    throw new ParseError(`\`${word}\` needs a value.`, { usage: command.usage });
  }
  out[flag.name] = value;
  return flag.inlineValue === undefined ? i + 2 : i + 1;
}

function bindWords(command: AnyCommandSpec, words: string[]): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  const positional: string[] = [];
  for (let i = 0; i < words.length;) {
    const word = words[i] ?? '';
    if (isFlag(word)) {
      i = takeFlag(command, words, i, out);
    } else {
      positional.push(word);
      i += 1;
    }
  }
  if (positional.length > command.positionals.length) {
    const extra = positional
      .slice(command.positionals.length)
      .map((w) => `\`${w}\``)
      .join(' ');
    throw new ParseError(`Unexpected ${extra} at the end.`, { usage: command.usage });
  }
  command.positionals.forEach((name, i) => {
    if (positional[i] !== undefined) out[name] = positional[i];
  });
  return out;
}

function describeZodIssue(issue: z.core.$ZodIssue, command: AnyCommandSpec): string {
  const field = String(issue.path[0] ?? '');
  const isPositional = command.positionals.includes(field);
  const label = isPositional ? `<${field}>` : `--${field}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${label} is missing.`;
  return `${label}: ${issue.message}`;
}

/** Validates bound words and works out what they mean. Throws ParseError. */
function resolve(
  registry: CommandRegistry,
  command: AnyCommandSpec,
  input: Record<string, string | boolean>,
): CommandRequest {
  const parsed = registry.schemaOf(command).safeParse(input, { reportInput: true });
  if (!parsed.success) {
    throw new ParseError(parsed.error.issues.map((i) => describeZodIssue(i, command)).join(' '), {
      usage: command.usage,
    });
  }
  const args = parsed.data as Record<string, unknown>;
  const target = command.target?.(args);
  const line = command.runsIn === 'worker' && command.mutates ? targetKey(target) : undefined;
  return {
    command,
    args,
    input,
    verb: command.verbOf?.pick(args) ?? command.verb,
    description: command.describe(args),
    ...(target ? { target } : {}),
    ...(line ? { line } : {}),
  };
}

/**
 * Parses `/k8s` text against the registry. The namespace defaults to `defaults.defaultNamespace` for commands that
 * take one. Throws ParseError (an AppError with code bad_input) on any problem.
 */
export function parseCommand(registry: CommandRegistry, text: string, defaults: ParseDefaults): CommandRequest {
  const words = tokenize(text);
  if (words.length === 0) return parseCommand(registry, 'help', defaults);
  const { command, rest } = findCommand(registry, words);
  const bound = bindWords(command, rest);
  if ('namespace' in command.flags && bound['namespace'] === undefined) bound['namespace'] = defaults.defaultNamespace;
  return resolve(registry, command, bound);
}

/**
 * The request a job carries (a command's name and its bound words), worked out again by the worker: the queue is a
 * trust boundary, so the words are validated as the gateway validated them. Throws ParseError.
 */
export function resolveCommand(
  registry: CommandRegistry,
  name: string,
  input: Record<string, string | boolean>,
): CommandRequest {
  const command = registry.get(name);
  if (!command) throw new ParseError(`Unknown command \`${name}\`.`);
  return resolve(registry, command, input);
}
