// kubectl rollout undo: the chosen revision's pod template goes back onto the
// Deployment, and the controller turns it into the newest revision.
import type * as k8s from '@kubernetes/client-node';
import { AppError } from '../errors.ts';
import { changeCauseOps, requestAnnotation } from './json-patch.ts';
import type { ChangeOptions, DeploymentRef } from './kube-api.ts';
import type { KubeClients } from './kube-clients.ts';
import { listOwnedReplicaSets, type OwnedReplicaSet } from './owned-replica-sets.ts';
import { patchDeployment } from './patch-deployment.ts';
import { readDeployment } from './read-deployment.ts';
import { parseRevision } from './summarize-deployment.ts';

/** Options of undo. */
export type UndoOptions = ChangeOptions & { readonly toRevision?: number };

/** The label the controller adds per template; the Deployment's own template never has it. */
const podTemplateHashLabel = 'pod-template-hash';

function chooseTarget(
  owned: readonly OwnedReplicaSet[],
  current: number | undefined,
  toRevision: number | undefined,
  name: string,
): OwnedReplicaSet {
  const available = owned.map((o) => o.revision).join(', ') || 'none';
  if (toRevision !== undefined && toRevision === current) {
    throw new AppError('bad_input', `deployment "${name}" is already at revision ${toRevision}`);
  }
  const target =
    toRevision === undefined
      ? owned.find((o) => current === undefined || o.revision < current)
      : owned.find((o) => o.revision === toRevision);
  if (target !== undefined) return target;
  const wanted = toRevision === undefined ? 'no previous revision' : `no revision ${toRevision}`;
  throw new AppError('not_found', `deployment "${name}" has ${wanted}; available revisions: ${available}`);
}

function templateWithoutHash(replicaSet: k8s.V1ReplicaSet): k8s.V1PodTemplateSpec {
  const template = replicaSet.spec?.template ?? {};
  const labels = { ...template.metadata?.labels };
  delete labels[podTemplateHashLabel];
  return { ...template, metadata: { ...template.metadata, labels } };
}

/**
 * Rolls back to `toRevision`, or to the revision before the current one. When the
 * Deployment already carries this request's mark, the rollback was made by an
 * earlier run of the same job: nothing is changed (`alreadyMade`, at the current revision).
 */
export async function undoDeployment(
  clients: KubeClients,
  ref: DeploymentRef,
  options: UndoOptions,
): Promise<{ readonly revision: number; readonly generation: number; readonly alreadyMade?: boolean }> {
  const deployment = await readDeployment(clients, ref);
  const annotations = deployment.metadata?.annotations;
  const current = parseRevision(annotations);
  if (madeBy(annotations, options.request))
    return { revision: current ?? 0, generation: deployment.metadata?.generation ?? 0, alreadyMade: true };
  const owned = await listOwnedReplicaSets(clients, deployment);
  const target = chooseTarget(owned, current, options.toRevision, ref.name);
  const patched = await patchDeployment(clients, ref, [
    { op: 'test', path: '/metadata/uid', value: deployment.metadata?.uid },
    { op: 'replace', path: '/spec/template', value: templateWithoutHash(target.replicaSet) },
    ...changeCauseOps(annotations, options),
  ]);
  return { revision: target.revision, generation: patched.metadata?.generation ?? 0 };
}

/** Whether the Deployment's last change was made by `request`. */
function madeBy(annotations: Readonly<Record<string, string>> | undefined, request: string | undefined): boolean {
  return request !== undefined && annotations?.[requestAnnotation] === request;
}
