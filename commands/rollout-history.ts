import { z } from 'zod';
import { deploymentTarget, namespaceFlag } from '../src/parse/arguments.ts';
import { defineCommand } from '../src/registry/command-spec.ts';

/** /k8s rollout history: the revisions of a deployment with who changed what. */
export const rolloutHistory = defineCommand({
  name: 'rollout history',
  summary: "List a deployment's revisions with their change causes",
  usage: 'rollout history <deployment> [-n namespace]',
  examples: ['rollout history checkout -n prod'],
  positionals: ['deployment'],
  flags: { namespace: namespaceFlag },
  schema: () => z.object(deploymentTarget).strict(),
  verb: 'history',
  runsIn: 'worker',
  mutates: false,
  target: (a) => ({ namespace: a.namespace, deployment: a.deployment }),
  describe: (a) => `rollout history of ${a.deployment} in ${a.namespace}`,
  run: async (a, ctx) => ({
    kind: 'history',
    namespace: a.namespace,
    deployment: a.deployment,
    revisions: await ctx.kube.history({ namespace: a.namespace, name: a.deployment }),
  }),
});
