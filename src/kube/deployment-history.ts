// kubectl rollout history, with the images of each revision, which is what
// people actually look for when they pick one to roll back to.
import type { Revision } from '../results.ts';
import { changeCauseAnnotation } from './json-patch.ts';
import type { DeploymentRef } from './kube-api.ts';
import type { KubeClients } from './kube-clients.ts';
import { listOwnedReplicaSets, type OwnedReplicaSet } from './owned-replica-sets.ts';
import { readDeployment } from './read-deployment.ts';
import { parseRevision } from './summarize-deployment.ts';

function toRevision(owned: OwnedReplicaSet, current: number | undefined): Revision {
  const metadata = owned.replicaSet.metadata;
  const changeCause = metadata?.annotations?.[changeCauseAnnotation];
  const created = metadata?.creationTimestamp;
  return {
    revision: owned.revision,
    ...(changeCause === undefined ? {} : { changeCause }),
    images: (owned.replicaSet.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? ''),
    current: owned.revision === current,
    ...(created === undefined ? {} : { createdAt: new Date(created).toISOString() }),
  };
}

/** Revisions from the Deployment's ReplicaSets, newest first. */
export async function deploymentHistory(clients: KubeClients, ref: DeploymentRef): Promise<readonly Revision[]> {
  const deployment = await readDeployment(clients, ref);
  const current = parseRevision(deployment.metadata?.annotations);
  const owned = await listOwnedReplicaSets(clients, deployment);
  return owned.map((o) => toRevision(o, current));
}
