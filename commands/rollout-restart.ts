import { z } from 'zod';
import { deploymentTarget, namespaceFlag } from '../src/parse/arguments.ts';
import { defineCommand } from '../src/registry/command-spec.ts';
import { askedFor, reportRollout } from '../src/rollout/report-rollout.ts';

/** /k8s rollout restart: replace every pod, one rollout step at a time. */
export const rolloutRestart = defineCommand({
  name: 'rollout restart',
  summary: 'Restart every pod of a deployment through a rollout',
  usage: 'rollout restart <deployment> [-n namespace]',
  examples: ['rollout restart checkout -n staging'],
  positionals: ['deployment'],
  flags: { namespace: namespaceFlag },
  schema: () => z.object(deploymentTarget).strict(),
  verb: 'restart',
  runsIn: 'worker',
  mutates: true,
  target: (a) => ({ namespace: a.namespace, deployment: a.deployment }),
  describe: (a) => `restart ${a.deployment} in ${a.namespace}`,
  run: async (a, ctx) => {
    const startedAt = Date.now();
    const ref = { namespace: a.namespace, name: a.deployment };
    // Stamped with the request's time: a run resumed after a lost worker restarts nothing twice.
    await ctx.kube.restart(ref, {
      ...askedFor(ctx, `rollout restart ${a.deployment}`),
      ...(ctx.requestedAt ? { at: ctx.requestedAt } : {}),
    });
    return reportRollout(ctx, ref, { action: 'restart', startedAt });
  },
});
