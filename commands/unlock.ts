import { z } from 'zod';
import { namespaceFlag, namespaceName } from '../src/parse/arguments.ts';
import { describeHold, type Hold } from '../src/locks/target-holds.ts';
import { defineCommand, type GatewayContext } from '../src/registry/command-spec.ts';
import type { CommandResult } from '../src/results.ts';
import { allowedTarget, holdTarget, type ResolvedTarget } from './lock.ts';

type Args = { target: { kind: 'namespace' | 'deployment'; name: string }; namespace: string; break: boolean; reason?: string | undefined };

/** Ends someone else's hold: needs the `break` verb on the target, is recorded, and the holder is told in the hold's thread. */
async function breakHold(a: Args, ctx: GatewayContext): Promise<CommandResult> {
  const resolved = allowedTarget(a, ctx, 'break');
  if ('kind' in resolved) return resolved;
  if (!a.reason) return { kind: 'text', text: 'Say why you break the hold: `/k8s unlock … --break "the incident is over"`; the holder is told.' };
  const broken = await ctx.holds.break(resolved.key, { userId: ctx.actor.userId, reason: a.reason });
  if (!broken) return { kind: 'text', text: `${resolved.key} was not locked.` };
  await ctx.audit.record({
    kind: 'lock.broken', user: ctx.actor.userId, channel: ctx.actor.channelId, command: 'unlock', verb: 'break', ...targetFields(resolved),
    decision: 'allowed', reason: a.reason, detail: { target: resolved.key, holder: broken.userId, heldSince: new Date(broken.since).toISOString() },
  });
  return { kind: 'text', text: `Broke the hold: ${describeHold(broken)}. <@${broken.userId}> is told${broken.message ? ' in its thread' : ''}.` };
}

function targetFields(t: ResolvedTarget): { namespace: string; deployment?: string } {
  return { namespace: t.namespace, ...(t.deployment ? { deployment: t.deployment } : {}) };
}

async function release(a: Args, ctx: GatewayContext): Promise<CommandResult> {
  const resolved = allowedTarget(a, ctx);
  if ('kind' in resolved) return resolved;
  const outcome = await ctx.holds.release(resolved.key, ctx.actor.userId);
  if (outcome.kind === 'held') return { kind: 'text', text: `Not yours to unlock: ${describeHold(outcome.hold)}. Someone whose role has \`break\` here can end it with \`--break "why"\`.` };
  if (outcome.kind === 'not_held') return { kind: 'text', text: `${resolved.key} was not locked.` };
  await recordRelease(ctx, resolved, outcome.hold);
  return { kind: 'text', text: `Unlocked ${resolved.key}.` };
}

async function recordRelease(ctx: GatewayContext, target: ResolvedTarget, hold: Hold): Promise<void> {
  await ctx.audit.record({
    kind: 'lock.released', user: ctx.actor.userId, channel: ctx.actor.channelId, command: 'unlock', verb: 'lock', ...targetFields(target),
    decision: 'allowed', detail: { target: target.key, heldSince: new Date(hold.since).toISOString() },
  });
}

/** /k8s unlock: give up your hold before it expires, or (with `break`) end someone else's. */
export const unlock = defineCommand({
  name: 'unlock',
  summary: 'Give up your hold on a deployment or namespace (or break someone else\'s)',
  usage: 'unlock <deployment|ns/namespace> [-n namespace] [--break "reason"]',
  examples: ['unlock checkout -n prod', 'unlock ns/prod', 'unlock ns/prod --break "incident 1234 is over"'],
  positionals: ['target', 'reason'],
  flags: { namespace: namespaceFlag, break: { kind: 'boolean', description: 'end someone else\'s hold (needs the break verb; say why: the holder is told)' } },
  schema: () => z.object({ target: holdTarget, namespace: namespaceName, break: z.boolean().default(false), reason: z.string().max(300).optional() }).strict(),
  verb: 'lock',
  verbOf: (a) => (a.break ? 'break' : 'lock'),
  runsIn: 'gateway',
  describe: (a) => `unlock ${a.target.name}${a.break ? ' (break)' : ''}`,
  run: (a, ctx) => (a.break ? breakHold(a, ctx) : release(a, ctx)),
});
