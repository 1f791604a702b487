import { z } from 'zod';
import { AppError } from '../src/errors.ts';
import { deploymentName, namespaceFlag, namespaceName, replicaCount } from '../src/parse/arguments.ts';
import { defineCommand } from '../src/registry/command-spec.ts';
import { askedFor, reportRollout } from '../src/rollout/report-rollout.ts';

/** /k8s scale: set a deployment's replicas through the scale subresource. */
export const scale = defineCommand({
  name: 'scale',
  summary: 'Set the number of replicas of a deployment',
  usage: 'scale <deployment> <replicas> [-n namespace] [--force] [--yes]',
  examples: ['scale checkout 5 -n staging', 'scale web 0 -n staging --yes'],
  positionals: ['deployment', 'replicas'],
  flags: {
    namespace: namespaceFlag,
    force: { kind: 'boolean', description: 'scale even though a HorizontalPodAutoscaler manages it' },
    yes: { kind: 'boolean', description: 'confirm scaling to 0 replicas' },
  },
  schema: (limits) =>
    z
      .object({
        deployment: deploymentName,
        replicas: replicaCount(limits.maxReplicas),
        namespace: namespaceName,
        force: z.boolean().default(false),
        yes: z.boolean().default(false),
      })
      .strict()
      .refine((a) => a.replicas > 0 || a.yes, {
        path: ['replicas'],
        message: 'scaling to 0 stops every pod; add --yes to confirm',
        when: (payload) => payload.issues.length === 0,
      }),
  verb: 'scale',
  runsIn: 'worker',
  mutates: true,
  target: (a) => ({ namespace: a.namespace, deployment: a.deployment }),
  describe: (a) => `scale ${a.deployment} to ${a.replicas} in ${a.namespace}`,
  run: async (a, ctx) => {
    const startedAt = Date.now();
    const ref = { namespace: a.namespace, name: a.deployment };
    const hpa = await ctx.kube.findAutoscaler(ref);
    if (hpa && !a.force) {
      throw new AppError(
        'bad_input',
        `HorizontalPodAutoscaler ${hpa} manages ${a.namespace}/${a.deployment} and would undo this; add --force to scale anyway.`,
      );
    }
    const result = await ctx.kube.scale(ref, a.replicas, askedFor(ctx, `scale ${a.deployment} ${a.replicas}`));
    return reportRollout(ctx, ref, {
      action: 'scale',
      change: result.unchanged
        ? `replicas: already ${a.replicas}; nothing was changed`
        : `replicas: ${result.previous} → ${a.replicas}`,
      startedAt,
    });
  },
});
