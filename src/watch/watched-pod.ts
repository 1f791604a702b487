// What the watcher keeps of a pod: the few fields classification needs, so
// that 10,000 pods fit in a small heap. Built from the API's JSON (dates are
// strings there) or from client-node's typed objects (dates are Dates).
import type { ContainerStatusJson, PodJson } from '../kube/pod-informer.ts';

export type { PodJson } from '../kube/pod-informer.ts';

/** The workload a pod belongs to; a bare pod is its own workload. */
export interface Workload {
  readonly kind: 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'Pod';
  readonly name: string;
}

/** One container's state, as far as failures go. */
export interface WatchedContainer {
  readonly name: string;
  readonly restarts: number;
  readonly waitingReason?: string;
  readonly waitingMessage?: string;
  /** The previous instance's end: reason (Error, OOMKilled…) and exit code. */
  readonly lastTerminated?: { readonly reason: string; readonly exitCode: number };
  readonly ready: boolean;
}

/** A pod reduced to what classification and alerts read. */
export interface WatchedPod {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly workload: Workload;
  readonly phase: string;
  readonly deleting: boolean;
  /** status.reason / status.message (Evicted and its why). */
  readonly reason?: string;
  readonly message?: string;
  /** When the PodScheduled condition turned False with reason Unschedulable, and its message. */
  readonly unschedulable?: { readonly since: number; readonly message: string };
  readonly containers: readonly WatchedContainer[];
  readonly createdAt: number;
}

/** Messages from the API are bounded here: they go into Slack messages later. */
const maxMessage = 300;
const clip = (text: string | undefined): string | undefined =>
  text === undefined ? undefined : text.slice(0, maxMessage);
const timeOf = (value: string | Date | undefined): number => (value === undefined ? 0 : new Date(value).getTime());

const knownOwners: ReadonlySet<string> = new Set(['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job']);

/**
 * The workload from the controlling owner. A Deployment's ReplicaSet is named
 * `<deployment>-<pod-template-hash>` and its pods carry that hash as a label,
 * so the Deployment is known without reading the ReplicaSet.
 */
export function workloadOf(pod: PodJson): Workload {
  const meta = pod.metadata ?? {};
  const owner = controllerOf(meta.ownerReferences ?? []);
  if (!owner || !knownOwners.has(owner.kind)) return { kind: 'Pod', name: meta.name ?? '' };
  return (
    deploymentOf(owner, meta.labels?.['pod-template-hash']) ?? {
      kind: owner.kind as Workload['kind'],
      name: owner.name,
    }
  );
}

function deploymentOf(
  owner: { readonly kind: string; readonly name: string },
  hash: string | undefined,
): Workload | undefined {
  if (owner.kind !== 'ReplicaSet' || !hash || !owner.name.endsWith(`-${hash}`)) return undefined;
  return { kind: 'Deployment', name: owner.name.slice(0, -hash.length - 1) };
}

function controllerOf<T extends { readonly controller?: boolean }>(owners: readonly T[]): T | undefined {
  return owners.find((o) => o.controller) ?? owners[0];
}

function containerOf(status: ContainerStatusJson): WatchedContainer {
  const waiting = status.state?.waiting;
  const last = status.lastState?.terminated;
  return {
    name: status.name,
    restarts: status.restartCount ?? 0,
    ready: status.ready ?? false,
    waitingReason: waiting?.reason,
    waitingMessage: clip(waiting?.message),
    lastTerminated: last ? { reason: last.reason ?? 'Unknown', exitCode: last.exitCode ?? 0 } : undefined,
  };
}

function unschedulableOf(pod: PodJson): WatchedPod['unschedulable'] {
  const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (condition?.status !== 'False' || condition.reason !== 'Unschedulable') return undefined;
  return { since: timeOf(condition.lastTransitionTime), message: clip(condition.message) ?? '' };
}

/** Reduces a pod to a WatchedPod. Init containers come first, as the kubelet runs them. */
export function watchedPod(pod: PodJson): WatchedPod {
  const meta = pod.metadata ?? {};
  const status = pod.status ?? {};
  const name = meta.name ?? '';
  const namespace = meta.namespace ?? '';
  return {
    uid: meta.uid ?? `${namespace}/${name}`,
    namespace,
    name,
    workload: workloadOf(pod),
    phase: status.phase ?? 'Unknown',
    deleting: Boolean(meta.deletionTimestamp),
    reason: status.reason,
    message: clip(status.message),
    unschedulable: unschedulableOf(pod),
    containers: [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])].map(containerOf),
    createdAt: timeOf(meta.creationTimestamp),
  };
}
