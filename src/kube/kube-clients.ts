// The typed client-node clients one KubeApi uses, made once from a KubeConfig.
import * as k8s from '@kubernetes/client-node';
import type { KubeIdentity } from './kube-api.ts';

/** Clients for the API groups Coxswain touches, and where they point. */
export interface KubeClients {
  readonly config: k8s.KubeConfig;
  readonly apps: k8s.AppsV1Api;
  readonly core: k8s.CoreV1Api;
  readonly autoscaling: k8s.AutoscalingV2Api;
  /** The API server URL, for messages (only its origin is shown). */
  readonly server: string;
  /** The identity these clients impersonate, if any; refusals name it. */
  readonly actingAs?: KubeIdentity;
}

/** Builds the clients from a loaded KubeConfig; fails when it names no cluster. */
export function makeKubeClients(config: k8s.KubeConfig, actingAs?: KubeIdentity): KubeClients {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig names no current cluster');
  return {
    config,
    apps: config.makeApiClient(k8s.AppsV1Api),
    core: config.makeApiClient(k8s.CoreV1Api),
    autoscaling: config.makeApiClient(k8s.AutoscalingV2Api),
    server: cluster.server,
    ...(actingAs ? { actingAs } : {}),
  };
}
