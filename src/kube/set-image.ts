// kubectl set image, plus who asked, in one atomic patch.
import { changeCauseOps, type JsonPatchOp } from './json-patch.ts';
import type { ChangeOptions, DeploymentRef } from './kube-api.ts';
import type { KubeClients } from './kube-clients.ts';
import { patchDeployment } from './patch-deployment.ts';
import { pickContainer } from './pick-container.ts';
import { readDeployment } from './read-deployment.ts';

/** Options of setImage. */
export type SetImageOptions = ChangeOptions & { readonly image: string; readonly container?: string };

/**
 * Sets one container's image and the change cause. The `test` op pins the
 * container to the index read, so a concurrent edit that reorders containers
 * fails the patch instead of changing the wrong one.
 */
export async function setImage(
  clients: KubeClients,
  ref: DeploymentRef,
  options: SetImageOptions,
): Promise<{ readonly container: string; readonly previousImage: string; readonly generation: number }> {
  const deployment = await readDeployment(clients, ref);
  const containers = deployment.spec?.template.spec?.containers ?? [];
  const container = pickContainer(
    containers.map((c) => c.name),
    options.container,
    `deployment "${ref.name}"`,
  );
  const index = containers.findIndex((c) => c.name === container);
  const base = `/spec/template/spec/containers/${index}`;
  const ops: JsonPatchOp[] = [
    { op: 'test', path: `${base}/name`, value: container },
    { op: 'replace', path: `${base}/image`, value: options.image },
    ...changeCauseOps(deployment.metadata?.annotations, options),
  ];
  const patched = await patchDeployment(clients, ref, ops);
  return { container, previousImage: containers[index]?.image ?? '', generation: patched.metadata?.generation ?? 0 };
}
