import { z } from 'zod';
import { namespaceFlag, namespaceName } from '../src/parse/arguments.ts';
import { describeHold } from '../src/locks/target-holds.ts';
import { defineCommand } from '../src/registry/command-spec.ts';
import { allowedTarget, holdTarget } from './lock.ts';

/** /k8s unlock: give up a hold before it expires (only its holder can). */
export const unlock = defineCommand({
  name: 'unlock',
  summary: 'Give up your hold on a deployment or namespace',
  usage: 'unlock <deployment|ns/namespace> [-n namespace]',
  examples: ['unlock checkout -n prod', 'unlock ns/prod'],
  positionals: ['target'],
  flags: { namespace: namespaceFlag },
  schema: () => z.object({ target: holdTarget, namespace: namespaceName }).strict(),
  verb: 'lock',
  runsIn: 'gateway',
  describe: (a) => `unlock ${a.target.name}`,
  run: async (a, ctx) => {
    const resolved = allowedTarget(a, ctx);
    if ('kind' in resolved) return resolved;
    const outcome = await ctx.holds.release(resolved.key, ctx.actor.userId);
    if (outcome.kind === 'held') return { kind: 'text', text: `Not yours to unlock: ${describeHold(outcome.hold)}.` };
    return { kind: 'text', text: outcome.kind === 'released' ? `Unlocked ${resolved.key}.` : `${resolved.key} was not locked.` };
  },
});
