import { z } from 'zod';
import { containerName, deploymentName, imageReference, namespaceFlag, namespaceName } from '../src/parse/arguments.ts';
import { defineCommand } from '../src/registry/command-spec.ts';
import { changeCause, reportRollout } from '../src/rollout/report-rollout.ts';

/** /k8s deploy: set a deployment's image and follow the rollout. */
export const deploy = defineCommand({
  name: 'deploy',
  summary: 'Set the image of a deployment and follow its rollout',
  usage: 'deploy <deployment> <image> [-n namespace] [-c container]',
  examples: ['deploy checkout ghcr.io/acme/checkout:1.4.2 -n staging', 'deploy deploy/api ghcr.io/acme/api:2.0 -n prod -c server'],
  positionals: ['deployment', 'image'],
  flags: {
    namespace: namespaceFlag,
    container: { short: 'c', kind: 'value', description: 'container to update (required when there are several)' },
  },
  schema: () => z.object({
    deployment: deploymentName,
    image: imageReference,
    namespace: namespaceName,
    container: containerName.optional(),
  }).strict(),
  verb: 'deploy',
  runsIn: 'worker',
  mutates: true,
  target: (a) => ({ namespace: a.namespace, deployment: a.deployment }),
  describe: (a) => `deploy ${a.deployment}${a.container ? ` (${a.container})` : ''} to ${a.image} in ${a.namespace}`,
  run: async (a, ctx) => {
    const startedAt = Date.now();
    const ref = { namespace: a.namespace, name: a.deployment };
    const set = await ctx.kube.setImage(ref, {
      image: a.image,
      ...(a.container ? { container: a.container } : {}),
      changeCause: changeCause(ctx, `deploy ${a.deployment} ${a.image}`),
    });
    const change = `${set.container}: ${set.previousImage} → ${a.image}`;
    return reportRollout(ctx, ref, { action: 'deploy', change, startedAt });
  },
});
