// kubectl scale: through the scale subresource, so RBAC can grant scaling
// without granting edits of the pod template.
import { AppError } from '../errors.ts';
import { callKube } from './call-kube.ts';
import { describeDeployment } from './deployment-ref-text.ts';
import { changeCauseOps } from './json-patch.ts';
import type { ChangeOptions, DeploymentRef } from './kube-api.ts';
import type { KubeClients } from './kube-clients.ts';
import { fieldManager, patchDeployment } from './patch-deployment.ts';
import { readDeployment } from './read-deployment.ts';

/** Sets spec.replicas, then records the change cause on the Deployment (a second patch). */
export async function scaleDeployment(clients: KubeClients, ref: DeploymentRef, replicas: number, options: ChangeOptions):
  Promise<{ readonly previous: number; readonly generation: number }> {
  if (!Number.isInteger(replicas) || replicas < 0) throw new AppError('bad_input', `replicas must be a whole number ≥ 0, not ${replicas}`);
  const deployment = await readDeployment(clients, ref);
  const what = describeDeployment(ref);
  const scale = await callKube(clients, what, () => clients.apps.readNamespacedDeploymentScale(ref));
  await callKube(clients, what, () => clients.apps.patchNamespacedDeploymentScale({
    name: ref.name, namespace: ref.namespace, fieldManager,
    body: [{ op: 'replace', path: '/spec/replicas', value: replicas }],
  }));
  const patched = await patchDeployment(clients, ref, changeCauseOps(deployment.metadata?.annotations, options));
  return { previous: scale.spec?.replicas ?? 0, generation: patched.metadata?.generation ?? 0 };
}
