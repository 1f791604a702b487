import { z } from 'zod';
import { deploymentTarget, namespaceFlag } from '../src/parse/arguments.ts';
import { defineCommand } from '../src/registry/command-spec.ts';
import { reportRollout } from '../src/rollout/report-rollout.ts';

/** /k8s rollout status: follow a deployment's rollout until it completes or fails. */
export const rolloutStatus = defineCommand({
  name: 'rollout status',
  summary: "Follow a deployment's rollout until it completes or fails",
  usage: 'rollout status <deployment> [-n namespace]',
  examples: ['rollout status checkout -n staging'],
  positionals: ['deployment'],
  flags: { namespace: namespaceFlag },
  schema: () => z.object(deploymentTarget).strict(),
  verb: 'status',
  runsIn: 'worker',
  mutates: false,
  target: (a) => ({ namespace: a.namespace, deployment: a.deployment }),
  describe: (a) => `rollout status of ${a.deployment} in ${a.namespace}`,
  run: async (a, ctx) =>
    reportRollout(ctx, { namespace: a.namespace, name: a.deployment }, { action: 'status', startedAt: Date.now() }),
});
