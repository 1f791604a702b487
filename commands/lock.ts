import { z } from 'zod';
import { parseDuration } from '../src/text/duration.ts';
import { deploymentName, namespaceFlag, namespaceName } from '../src/parse/arguments.ts';
import { describeHold } from '../src/locks/target-holds.ts';
import { everything } from '../src/policy/decide.ts';
import type { Verb } from '../src/policy/policy-schema.ts';
import { defineCommand, type GatewayContext } from '../src/registry/command-spec.ts';
import type { CommandResult } from '../src/results.ts';

/** Longest --for, and the default. (A hold's whole life, renewals included, is capped by COXSWAIN_MAX_HOLD.) */
export const maxHoldMs = 24 * 3600_000;
const defaultHoldMs = 3600_000;

/** `web` (a deployment in -n), `deploy/web`, or `ns/prod` / `namespace/prod` (a whole namespace). */
export const holdTarget = z.string().transform((s) => {
  const ns = /^(?:ns|namespace|namespaces)\/(.+)$/i.exec(s);
  return ns ? { kind: 'namespace' as const, name: ns[1] ?? '' } : { kind: 'deployment' as const, name: s };
});

/** A hold's key ("prod" or "prod/web") and what the policy is asked about. */
export interface ResolvedTarget { readonly key: string; readonly namespace: string; readonly deployment?: string }

function resolveTarget(target: { kind: 'namespace' | 'deployment'; name: string }, namespace: string): ResolvedTarget | string {
  if (target.kind === 'namespace') {
    const ns = namespaceName.safeParse(target.name);
    return ns.success ? { key: ns.data, namespace: ns.data } : `\`${target.name}\` is not a namespace name`;
  }
  const name = deploymentName.safeParse(target.name);
  return name.success ? { key: `${namespace}/${name.data}`, namespace, deployment: name.data } : `\`${target.name}\` is not a deployment name`;
}

/**
 * What lock and unlock share: the words resolved to a target, and `verb` checked on that exact target (the gateway
 * checked the verb alone). A whole namespace needs a rule that covers every deployment in it: a hold on `ns/prod`
 * stops everyone's changes there, which a right limited to `web-*` must not reach. Returns the target, or the answer
 * that ends the command.
 */
export function allowedTarget(a: { target: { kind: 'namespace' | 'deployment'; name: string }; namespace: string }, ctx: GatewayContext, verb: Verb = 'lock'): ResolvedTarget | CommandResult {
  const resolved = resolveTarget(a.target, a.namespace);
  if (typeof resolved === 'string') return { kind: 'text', text: resolved };
  const decision = ctx.access.decide({ verb, namespace: resolved.namespace, deployment: resolved.deployment ?? everything });
  return decision.allowed ? resolved : { kind: 'text', title: 'no', text: decision.reason };
}

/** The words that give a hold up, for the answer to whoever took it. */
export function unlockWords(target: ResolvedTarget): string {
  return `/k8s unlock ${target.deployment ? `${target.deployment} -n ${target.namespace}` : `ns/${target.key}`}`;
}

/** /k8s lock: hold a deployment or a namespace; others' changes are refused until unlock or expiry. */
export const lock = defineCommand({
  name: 'lock',
  summary: 'Hold a deployment (or ns/<namespace>) so that only you can change it for a while',
  usage: 'lock <deployment|ns/namespace> [-n namespace] [--for 2h] [reason]',
  examples: ['lock checkout -n prod --for 2h "release 4.2"', 'lock ns/prod --for 30m incident-1234'],
  positionals: ['target', 'reason'],
  flags: { namespace: namespaceFlag, for: { kind: 'value', description: 'how long: 30m, 2h (default 1h, at most 24h)' } },
  schema: () => z.object({
    target: holdTarget,
    namespace: namespaceName,
    for: z.string().regex(/^\d+[mh]$/, 'a duration such as 30m or 2h').transform((v) => parseDuration(v) ?? 0)
      .pipe(z.number().min(60_000, 'at least 1m').max(maxHoldMs, 'at most 24h')).default(defaultHoldMs),
    reason: z.string().max(300).optional(),
  }).strict(),
  verb: 'lock',
  runsIn: 'gateway',
  describe: (a) => `lock ${a.target.name}`,
  run: async (a, ctx) => {
    const resolved = allowedTarget(a, ctx);
    if ('kind' in resolved) return resolved;
    const now = Date.now();
    const outcome = await ctx.holds.take({ target: resolved.key, userId: ctx.actor.userId, since: now, until: now + a.for, channel: ctx.actor.channelId, ...(a.reason ? { reason: a.reason } : {}) });
    if (outcome.kind === 'held') return { kind: 'text', text: `Not locked: ${describeHold(outcome.hold)}.` };
    await ctx.audit.record({
      kind: 'lock.taken', user: ctx.actor.userId, channel: ctx.actor.channelId, command: 'lock', verb: 'lock', namespace: resolved.namespace,
      ...(resolved.deployment ? { deployment: resolved.deployment } : {}), decision: 'allowed', ...(a.reason ? { reason: a.reason } : {}),
      detail: { target: resolved.key, until: new Date(outcome.hold.until).toISOString(), renewed: outcome.kind === 'renewed', capped: outcome.capped },
    });
    const capped = outcome.capped ? ' (a hold lasts at most COXSWAIN_MAX_HOLD from when it was first taken, renewals included)' : '';
    return { kind: 'text', text: `${outcome.kind === 'renewed' ? 'Renewed' : 'Locked'}: ${describeHold(outcome.hold)}${capped}. Others' changes are refused until then or until \`${unlockWords(resolved)}\`.` };
  },
});
