// kubectl rollout restart: a new template annotation makes a new ReplicaSet.
import { changeCauseOps, setAnnotationsOps, type JsonPatchOp } from './json-patch.ts';
import type { ChangeOptions, DeploymentRef } from './kube-api.ts';
import type { KubeClients } from './kube-clients.ts';
import { patchDeployment } from './patch-deployment.ts';
import { readDeployment } from './read-deployment.ts';

/** The template annotation kubectl sets, so kubectl users recognise the restart. */
export const restartedAtAnnotation = 'kubectl.kubernetes.io/restartedAt';

/**
 * Stamps restartedAt on the pod template (when the restart was asked for, else now) and records the
 * change cause. Stamping the request's time makes a second run of the same job change nothing.
 */
export async function restartDeployment(
  clients: KubeClients,
  ref: DeploymentRef,
  options: ChangeOptions,
  now: Date = new Date(),
): Promise<{ readonly generation: number }> {
  const deployment = await readDeployment(clients, ref);
  const templateMetadata = deployment.spec?.template.metadata;
  const stamp = { [restartedAtAnnotation]: options.at ?? now.toISOString() };
  const templateOps: JsonPatchOp[] =
    templateMetadata === undefined
      ? [{ op: 'add', path: '/spec/template/metadata', value: { annotations: stamp } }]
      : setAnnotationsOps('/spec/template/metadata/annotations', templateMetadata.annotations, stamp);
  const patched = await patchDeployment(clients, ref, [
    ...templateOps,
    ...changeCauseOps(deployment.metadata?.annotations, options),
  ]);
  return { generation: patched.metadata?.generation ?? 0 };
}
