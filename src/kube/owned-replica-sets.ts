// A Deployment's revisions are its ReplicaSets. Ownership is decided by the
// controller reference's uid, not by labels, which other workloads may share.
import type * as k8s from '@kubernetes/client-node';
import { callKube } from './call-kube.ts';
import type { KubeClients } from './kube-clients.ts';
import { parseRevision } from './summarize-deployment.ts';

/** A ReplicaSet with its revision number. */
export interface OwnedReplicaSet {
  readonly revision: number;
  readonly replicaSet: k8s.V1ReplicaSet;
}

function selectorOf(deployment: k8s.V1Deployment): string | undefined {
  const labels = deployment.spec?.selector.matchLabels;
  if (labels === undefined || Object.keys(labels).length === 0) return undefined;
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

function isControlledBy(replicaSet: k8s.V1ReplicaSet, uid: string | undefined): boolean {
  return (
    uid !== undefined &&
    (replicaSet.metadata?.ownerReferences ?? []).some((o) => o.uid === uid && o.controller === true)
  );
}

/** The Deployment's ReplicaSets that carry a revision, newest revision first. */
export async function listOwnedReplicaSets(
  clients: KubeClients,
  deployment: k8s.V1Deployment,
): Promise<OwnedReplicaSet[]> {
  const namespace = deployment.metadata?.namespace ?? '';
  const uid = deployment.metadata?.uid;
  const labelSelector = selectorOf(deployment);
  const list = await callKube(clients, `replicasets in namespace "${namespace}"`, () =>
    clients.apps.listNamespacedReplicaSet({ namespace, ...(labelSelector === undefined ? {} : { labelSelector }) }),
  );
  const owned: OwnedReplicaSet[] = [];
  for (const replicaSet of list.items) {
    const ownedByIt = isControlledBy(replicaSet, uid);
    const revision = parseRevision(replicaSet.metadata?.annotations);
    if (ownedByIt && revision !== undefined) owned.push({ revision, replicaSet });
  }
  return owned.sort((a, b) => b.revision - a.revision);
}
