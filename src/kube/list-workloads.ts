// get deployments / get pods, sorted by name so tables are stable.
import { callKube } from './call-kube.ts';
import type { DeploymentSummary, PodSummary } from './kube-api.ts';
import type { KubeClients } from './kube-clients.ts';
import { summarizePod } from './pod-summary.ts';
import { summarizeDeployment } from './summarize-deployment.ts';

const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);

/** The Deployments of a namespace, optionally by label selector. */
export async function listDeployments(
  clients: KubeClients,
  namespace: string,
  labelSelector?: string,
): Promise<readonly DeploymentSummary[]> {
  const list = await callKube(clients, `deployments in namespace "${namespace}"`, () =>
    clients.apps.listNamespacedDeployment({ namespace, ...(labelSelector ? { labelSelector } : {}) }),
  );
  return list.items.map(summarizeDeployment).sort(byName);
}

/**
 * Pods per list page: client-node's typed pods cost about 14 KB each, so a page stays near 7 MB whatever the namespace
 * holds.
 */
export const podPageSize = 500;

/** The pods of a namespace, optionally by label selector, read in pages and kept only as summaries. */
export async function listPods(
  clients: KubeClients,
  namespace: string,
  labelSelector?: string,
): Promise<readonly PodSummary[]> {
  const pods: PodSummary[] = [];
  let next: string | undefined;
  do {
    const page = await callKube(clients, `pods in namespace "${namespace}"`, () =>
      clients.core.listNamespacedPod({
        namespace,
        limit: podPageSize,
        ...(labelSelector ? { labelSelector } : {}),
        ...(next ? { _continue: next } : {}),
      }),
    );
    pods.push(...page.items.map(summarizePod));
    next = page.metadata?._continue || undefined;
  } while (next);
  return pods.sort(byName);
}
