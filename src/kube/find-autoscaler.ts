// An HPA owns a Deployment's replica count; scaling by hand would be undone,
// so commands ask before they scale.
import { callKube } from './call-kube.ts';
import type { DeploymentRef } from './kube-api.ts';
import type { KubeClients } from './kube-clients.ts';

/** The name of an autoscaling/v2 HorizontalPodAutoscaler targeting this Deployment, if any. */
export async function findAutoscaler(clients: KubeClients, ref: DeploymentRef): Promise<string | undefined> {
  const list = await callKube(clients, `autoscalers in namespace "${ref.namespace}"`, () =>
    clients.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: ref.namespace }),
  );
  const match = list.items.find((hpa) => {
    const target = hpa.spec?.scaleTargetRef;
    return (
      target?.kind === 'Deployment' && target.name === ref.name && (target.apiVersion ?? 'apps/v1').startsWith('apps/')
    );
  });
  return match?.metadata?.name;
}
