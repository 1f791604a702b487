import { z } from 'zod';
import { boundedCount, deploymentName, namespaceFlag, namespaceName } from '../src/parse/arguments.ts';
import { defineCommand } from '../src/registry/command-spec.ts';
import { askedFor, reportRollout } from '../src/rollout/report-rollout.ts';

/** /k8s rollout undo: back to the previous revision, or to --to-revision N. */
export const rolloutUndo = defineCommand({
  name: 'rollout undo',
  summary: 'Roll a deployment back to its previous revision (or --to-revision N)',
  usage: 'rollout undo <deployment> [-n namespace] [--to-revision N]',
  examples: ['rollout undo checkout -n prod', 'rollout undo checkout -n prod --to-revision 3'],
  positionals: ['deployment'],
  flags: {
    namespace: namespaceFlag,
    'to-revision': { kind: 'value', description: 'revision to go back to (see rollout history)' },
  },
  schema: () =>
    z
      .object({
        deployment: deploymentName,
        namespace: namespaceName,
        'to-revision': boundedCount('--to-revision', 1, 1_000_000_000).optional(),
      })
      .strict(),
  verb: 'undo',
  runsIn: 'worker',
  mutates: true,
  target: (a) => ({ namespace: a.namespace, deployment: a.deployment }),
  describe: (a) =>
    `roll back ${a.deployment} in ${a.namespace}${a['to-revision'] ? ` to revision ${a['to-revision']}` : ''}`,
  run: async (a, ctx) => {
    const startedAt = Date.now();
    const ref = { namespace: a.namespace, name: a.deployment };
    const toRevision = a['to-revision'];
    // Marked with the job's id: a run of the same job again (retry, lost worker) finds it made and does not undo the
    // undo.
    const done = await ctx.kube.undo(ref, {
      ...(toRevision ? { toRevision } : {}),
      ...askedFor(ctx, `rollout undo ${a.deployment}${toRevision ? ` --to-revision ${toRevision}` : ''}`),
    });
    const change = done.alreadyMade
      ? `rolled back, now revision ${done.revision} (resumed: an earlier run of this job made the rollback)`
      : `back to revision ${done.revision}`;
    return reportRollout(ctx, ref, { action: 'undo', change, startedAt });
  },
});
