// The one way Coxswain writes a Deployment: a JSON Patch under its own field manager.
import type * as k8s from '@kubernetes/client-node';
import { callKube } from './call-kube.ts';
import { describeDeployment } from './deployment-ref-text.ts';
import type { JsonPatchOp } from './json-patch.ts';
import type { DeploymentRef } from './kube-api.ts';
import type { KubeClients } from './kube-clients.ts';

/** The field manager name the API server records for Coxswain's writes. */
export const fieldManager = 'coxswain';

/** Applies `ops` atomically: all of them or, if any `test` op fails, none. */
export async function patchDeployment(
  clients: KubeClients,
  ref: DeploymentRef,
  ops: readonly JsonPatchOp[],
): Promise<k8s.V1Deployment> {
  return callKube(clients, describeDeployment(ref), () =>
    clients.apps.patchNamespacedDeployment({ name: ref.name, namespace: ref.namespace, body: ops, fieldManager }),
  );
}
