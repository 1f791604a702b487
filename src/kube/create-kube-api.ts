// Composition of the KubeApi: loads credentials once and binds every
// operation to the same clients.
import * as k8s from '@kubernetes/client-node';
import { deploymentHistory } from './deployment-history.ts';
import { findAutoscaler } from './find-autoscaler.ts';
import { followRollout, type FollowRolloutTuning } from './follow-rollout.ts';
import type { KubeApi } from './kube-api.ts';
import { makeKubeClients } from './kube-clients.ts';
import { listDeployments, listPods } from './list-workloads.ts';
import { readDeployment } from './read-deployment.ts';
import { readLogs } from './read-logs.ts';
import { restartDeployment } from './restart-deployment.ts';
import { scaleDeployment } from './scale-deployment.ts';
import { setImage } from './set-image.ts';
import { summarizeDeployment } from './summarize-deployment.ts';
import { undoDeployment } from './undo-deployment.ts';

/** Options of createKubeApi. */
export interface CreateKubeApiOptions {
  /** A kubeconfig file (its current context). Default: the pod's in-cluster service account. */
  readonly kubeconfigPath?: string;
  /**
   * How followRollout calls a rollout failed before its progress deadline and
   * bounds its evidence; defaults in rollout-rules.ts and rollout-evidence.ts
   * (CrashLoopBackOff after 2 restarts, image pull and config errors at once,
   * all new pods for 20 s; ≤ 5 pods, ≤ 5 events, 300-character messages).
   */
  readonly rollout?: FollowRolloutTuning;
}

function loadKubeConfig(options: CreateKubeApiOptions): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  if (options.kubeconfigPath === undefined) config.loadFromCluster();
  else config.loadFromFile(options.kubeconfigPath);
  return config;
}

/**
 * The KubeApi over @kubernetes/client-node. Every failure is an AppError
 * (see kube-errors.ts). Throws at once when the kubeconfig names no cluster,
 * so bad configuration stops start-up rather than the first job.
 */
export function createKubeApi(options: CreateKubeApiOptions = {}): KubeApi {
  const clients = makeKubeClients(loadKubeConfig(options));
  return {
    readDeployment: async (ref) => summarizeDeployment(await readDeployment(clients, ref)),
    setImage: (ref, change) => setImage(clients, ref, change),
    scale: (ref, replicas, change) => scaleDeployment(clients, ref, replicas, change),
    findAutoscaler: (ref) => findAutoscaler(clients, ref),
    restart: (ref, change) => restartDeployment(clients, ref, change),
    undo: (ref, change) => undoDeployment(clients, ref, change),
    history: (ref) => deploymentHistory(clients, ref),
    followRollout: (ref, follow) => followRollout(clients, ref, follow, options.rollout),
    listDeployments: (namespace, labelSelector) => listDeployments(clients, namespace, labelSelector),
    listPods: (namespace, labelSelector) => listPods(clients, namespace, labelSelector),
    readLogs: (namespace, pod, logs) => readLogs(clients, namespace, pod, logs),
  };
}
