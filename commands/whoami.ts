import { z } from 'zod';
import { describeIdentity } from '../src/kube/kube-api.ts';
import { defineCommand } from '../src/registry/command-spec.ts';

/** /k8s whoami: who Coxswain thinks you are, where. */
export const whoami = defineCommand({
  name: 'whoami',
  summary: 'Show who you are to Coxswain',
  usage: 'whoami',
  examples: ['whoami'],
  positionals: [],
  flags: {},
  schema: () => z.object({}).strict(),
  verb: 'none',
  runsIn: 'gateway',
  describe: () => 'whoami',
  run: (_a, ctx) => {
    const roles = ctx.access.roles.map(
      (r) =>
        `• *${r.role}*: ${r.rules.join('; ') || 'no rules'}${r.kubernetes ? `; acts as ${describeIdentity(r.kubernetes)}` : ''}`,
    );
    return {
      kind: 'text',
      title: 'whoami',
      text: [
        `You are <@${ctx.actor.userId}> (\`${ctx.actor.userId}\`, workspace \`${ctx.actor.teamId}\`),`,
        `in <#${ctx.actor.channelId}> (\`${ctx.actor.channelId}\`), talking to cluster \`${ctx.cluster}\`.`,
        '',
        ...(roles.length > 0
          ? ['Your roles here:', ...roles]
          : ['No role of the policy applies to you here: you may run `help`, `whoami` and `can-i`.']),
        '',
        `Policy: ${ctx.access.source}`,
      ].join('\n'),
    };
  },
});
