import { z } from 'zod';
import { namespaceFlag } from '../src/parse/arguments.ts';
import { describeHold, type Hold } from '../src/holds/hold-store.ts';
import { defineCommand, type GatewayContext } from '../src/registry/command-spec.ts';
import type { CommandResult } from '../src/results.ts';
import { holdPolicyTarget, holdWords, withHold, type HoldTarget } from './lock.ts';

interface Args {
  readonly hold: HoldTarget;
  readonly break: boolean;
  readonly reason?: string | undefined;
}

function targetFields(t: HoldTarget): { namespace: string; deployment?: string } {
  return { namespace: t.namespace, ...(t.deployment ? { deployment: t.deployment } : {}) };
}

/**
 * Ends someone else's hold (the gateway checked `break` on it): recorded, and the holder is told in the hold's thread.
 */
async function breakHold({ hold, reason }: Args, ctx: GatewayContext): Promise<CommandResult> {
  if (!reason)
    return {
      kind: 'text',
      text: 'Say why you break the hold: `/k8s unlock … --break "the incident is over"`; the holder is told.',
    };
  const broken = await ctx.holds.break(hold.key, { userId: ctx.actor.userId, reason });
  if (!broken) return { kind: 'text', text: `${hold.key} was not locked.` };
  await ctx.audit.record({
    kind: 'lock.broken',
    user: ctx.actor.userId,
    channel: ctx.actor.channelId,
    command: 'unlock',
    verb: 'break',
    ...targetFields(hold),
    decision: 'allowed',
    reason,
    detail: { target: hold.key, holder: broken.userId, heldSince: new Date(broken.since).toISOString() },
  });
  return {
    kind: 'text',
    text: `Broke the hold: ${describeHold(broken)}. <@${broken.userId}> is told${broken.message ? ' in its thread' : ''}.`,
  };
}

async function release({ hold }: Args, ctx: GatewayContext): Promise<CommandResult> {
  const outcome = await ctx.holds.release(hold.key, ctx.actor.userId);
  if (outcome.kind === 'held')
    return {
      kind: 'text',
      text: `Not yours to unlock: ${describeHold(outcome.hold)}. Someone whose role has \`break\` here can end it with \`--break "why"\`.`,
    };
  if (outcome.kind === 'not_held') return { kind: 'text', text: `${hold.key} was not locked.` };
  await recordRelease(ctx, hold, outcome.hold);
  return { kind: 'text', text: `Unlocked ${hold.key}.` };
}

async function recordRelease(ctx: GatewayContext, target: HoldTarget, hold: Hold): Promise<void> {
  await ctx.audit.record({
    kind: 'lock.released',
    user: ctx.actor.userId,
    channel: ctx.actor.channelId,
    command: 'unlock',
    verb: 'lock',
    ...targetFields(target),
    decision: 'allowed',
    detail: { target: target.key, heldSince: new Date(hold.since).toISOString() },
  });
}

/** /k8s unlock: give up your hold before it expires, or (with `break`) end someone else's. */
export const unlock = defineCommand({
  name: 'unlock',
  summary: "Give up your hold on a deployment or namespace (or break someone else's)",
  usage: 'unlock <deployment|ns/namespace> [-n namespace] [--break "reason"]',
  examples: ['unlock checkout -n prod', 'unlock ns/prod', 'unlock ns/prod --break "incident 1234 is over"'],
  positionals: ['target', 'reason'],
  flags: {
    namespace: namespaceFlag,
    break: {
      kind: 'boolean',
      description: "end someone else's hold (needs the break verb; say why: the holder is told)",
    },
  },
  schema: () =>
    holdWords
      .extend({ break: z.boolean().default(false), reason: z.string().max(300).optional() })
      .strict()
      .transform(withHold),
  verb: 'lock',
  verbOf: { others: ['break'], pick: (a) => (a.break ? 'break' : 'lock') },
  target: (a) => holdPolicyTarget(a.hold),
  runsIn: 'gateway',
  describe: (a) => `unlock ${a.hold.key}${a.break ? ' (break)' : ''}`,
  run: (a, ctx) => (a.break ? breakHold(a, ctx) : release(a, ctx)),
});
