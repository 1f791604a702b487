// Composition of the KubeApi: loads credentials once and binds every
// operation to the same clients.
import type * as k8s from '@kubernetes/client-node';
import { deploymentHistory } from './deployment-history.ts';
import { findAutoscaler } from './find-autoscaler.ts';
import { followRollout, type FollowRolloutTuning } from './follow-rollout.ts';
import { impersonatingConfig } from './impersonation.ts';
import type { KubeApi, KubeIdentity } from './kube-api.ts';
import { makeKubeClients, type KubeClients } from './kube-clients.ts';
import { PooledKubeConfig } from './pooled-kube-config.ts';
import { listDeployments, listPods } from './list-workloads.ts';
import { readDeployment } from './read-deployment.ts';
import { readLogs } from './read-logs.ts';
import { defaultEvidenceLimits, podWarningEvents } from './rollout-evidence.ts';
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
  const config = new PooledKubeConfig();
  if (options.kubeconfigPath === undefined) config.loadFromCluster();
  else config.loadFromFile(options.kubeconfigPath);
  return config;
}

function apiOver(clients: KubeClients, options: CreateKubeApiOptions): KubeApi {
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
    podEvents: (namespace, pod, limit) =>
      podWarningEvents(clients, namespace, pod, { ...defaultEvidenceLimits, maxEvents: limit }),
  };
}

/** The bot's own access to the cluster, and the same access acting as someone else. */
export interface ClusterAccess {
  /** As the bot's own identity (its ServiceAccount or kubeconfig user). */
  readonly kube: KubeApi;
  /** As a Kubernetes user and groups, by impersonation; the bot's identity needs the `impersonate` verb for them. */
  readonly kubeAs: (identity: KubeIdentity) => KubeApi;
}

/** Identities kept with their clients; a policy names a handful, so this bounds a pathological one. */
const maxIdentities = 64;

/**
 * The KubeApi over @kubernetes/client-node, as the bot and as any identity a
 * policy binding names. Every failure is an AppError (see kube-errors.ts).
 * Throws at once when the kubeconfig names no cluster, so bad configuration
 * stops start-up rather than the first job.
 */
export function createClusterAccess(options: CreateKubeApiOptions = {}): ClusterAccess {
  const config = loadKubeConfig(options);
  const clients = makeKubeClients(config);
  const kube = apiOver(clients, options);
  const acting = new Map<string, KubeApi>();
  const kubeAs = (identity: KubeIdentity): KubeApi => {
    const normal: KubeIdentity = { user: identity.user, groups: [...new Set(identity.groups)].sort() };
    const key = JSON.stringify(normal);
    const known = acting.get(key);
    if (known) return known;
    if (acting.size >= maxIdentities) acting.delete(acting.keys().next().value ?? '');
    const api = apiOver(makeKubeClients(impersonatingConfig(config, normal), normal), options);
    acting.set(key, api);
    return api;
  };
  return { kube, kubeAs };
}

/** The KubeApi as the bot's own identity; see createClusterAccess. */
export function createKubeApi(options: CreateKubeApiOptions = {}): KubeApi {
  return createClusterAccess(options).kube;
}
