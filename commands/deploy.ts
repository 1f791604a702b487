import { z } from 'zod';
import { containerName, deploymentName, imageReference, namespaceFlag, namespaceName } from '../src/parse/arguments.ts';
import { defineCommand, type WorkerContext } from '../src/registry/command-spec.ts';
import { askedFor, reportRollout } from '../src/rollout/report-rollout.ts';

/** /k8s deploy: set a deployment's image and follow the rollout. */
export const deploy = defineCommand({
  name: 'deploy',
  summary: 'Set the image of a deployment and follow its rollout',
  usage: 'deploy <deployment> <image> [-n namespace] [-c container]',
  examples: [
    'deploy checkout ghcr.io/acme/checkout:1.4.2 -n staging',
    'deploy deploy/api ghcr.io/acme/api:2.0 -n prod -c server',
  ],
  positionals: ['deployment', 'image'],
  flags: {
    namespace: namespaceFlag,
    container: { short: 'c', kind: 'value', description: 'container to update (required when there are several)' },
  },
  schema: () =>
    z
      .object({
        deployment: deploymentName,
        image: imageReference,
        namespace: namespaceName,
        container: containerName.optional(),
      })
      .strict(),
  verb: 'deploy',
  runsIn: 'worker',
  mutates: true,
  target: (a) => ({ namespace: a.namespace, deployment: a.deployment }),
  describe: (a) => `deploy ${a.deployment}${a.container ? ` (${a.container})` : ''} to ${a.image} in ${a.namespace}`,
  run: async (a, ctx) => {
    const startedAt = Date.now();
    const ref = { namespace: a.namespace, name: a.deployment };
    const asked = askedFor(ctx, `deploy ${a.deployment} ${a.image}`);
    const set = await ctx.kube.setImage(ref, {
      image: a.image,
      ...(a.container ? { container: a.container } : {}),
      ...asked,
    });
    const before =
      set.previousImage === a.image && ctx.resumed === true
        ? await imageBeforeOwnRevision(ctx, ref, asked.changeCause, a.image)
        : undefined;
    const change =
      before === undefined
        ? `${set.container}: ${set.previousImage} → ${a.image}`
        : `${set.container}: ${before} → ${a.image} (resumed: the worker that set it was lost)`;
    return reportRollout(ctx, ref, { action: 'deploy', change, startedAt });
  },
});

/**
 * A resumed job finds its image already set, by its own first run. When the
 * current revision carries this request's change cause, the image before it is
 * what the job changed; else (someone else's revision) undefined.
 */
async function imageBeforeOwnRevision(
  ctx: WorkerContext,
  ref: { readonly namespace: string; readonly name: string },
  cause: string,
  image: string,
): Promise<string | undefined> {
  const revisions = await ctx.kube.history(ref);
  const current = revisions.find((r) => r.current);
  if (current?.changeCause !== cause) return undefined;
  const previous = revisions.filter((r) => r.revision < current.revision).sort((x, y) => y.revision - x.revision)[0];
  const index = current.images.findIndex(
    (img, i) => img === image && previous?.images[i] !== undefined && previous.images[i] !== image,
  );
  return index < 0 ? undefined : previous?.images[index];
}
