// kubectl scale: through the scale subresource (what a HorizontalPodAutoscaler
// and `kubectl scale` use), after the change cause and the job's mark.
import type * as k8s from '@kubernetes/client-node';
import { AppError } from '../errors.ts';
import { callKube } from './call-kube.ts';
import { describeDeployment } from './deployment-ref-text.ts';
import { changeCauseOps, requestAnnotation } from './json-patch.ts';
import type { ChangeOptions, DeploymentRef } from './kube-api.ts';
import type { KubeClients } from './kube-clients.ts';
import { fieldManager, patchDeployment } from './patch-deployment.ts';
import { readDeployment } from './read-deployment.ts';

/** The answer for a Deployment that already has the count: `unchanged`, unless this job's own mark is on it. */
function leftAlone(
  deployment: k8s.V1Deployment,
  options: ChangeOptions,
): { readonly previous: number; readonly generation: number; readonly unchanged?: boolean } {
  const ours =
    options.request !== undefined && deployment.metadata?.annotations?.[requestAnnotation] === options.request;
  return {
    previous: deployment.spec?.replicas ?? 1,
    generation: deployment.metadata?.generation ?? 0,
    ...(ours ? {} : { unchanged: true }),
  };
}

/**
 * Records the change cause and the job's mark on the Deployment, then sets spec.replicas. In that order a worker
 * lost between the two patches leaves a mark with no scale, which the job's next run takes for its own (and scales,
 * to the same absolute count); the other order left a scale with no mark, which an approved job run again took for
 * a change made since the approval.
 *
 * A Deployment that already has the count asked for is left alone (`unchanged`), as `kubectl scale` leaves it: a
 * change-cause written for nothing would bump its generation (the API server counts annotation changes for
 * Deployments, since the controller copies them to the ReplicaSet), make the controller write the ReplicaSet, and
 * make the job wait until the controller had observed a change that changed nothing. A count this job itself set in
 * an earlier run (its mark is there) is its change, not `unchanged`.
 */
export async function scaleDeployment(
  clients: KubeClients,
  ref: DeploymentRef,
  replicas: number,
  options: ChangeOptions,
): Promise<{ readonly previous: number; readonly generation: number; readonly unchanged?: boolean }> {
  if (!Number.isInteger(replicas) || replicas < 0)
    throw new AppError('bad_input', `replicas must be a whole number ≥ 0, not ${replicas}`);
  const deployment = await readDeployment(clients, ref);
  const previous = deployment.spec?.replicas ?? 1;
  if (previous === replicas) return leftAlone(deployment, options);
  const what = describeDeployment(ref);
  await patchDeployment(clients, ref, changeCauseOps(deployment.metadata?.annotations, options));
  await callKube(clients, what, () =>
    clients.apps.patchNamespacedDeploymentScale({
      name: ref.name,
      namespace: ref.namespace,
      fieldManager,
      body: [{ op: 'replace', path: '/spec/replicas', value: replicas }],
    }),
  );
  // The Scale answer carries no generation: the rollout is followed from the Deployment's.
  const scaled = await readDeployment(clients, ref);
  return { previous, generation: scaled.metadata?.generation ?? 0 };
}
