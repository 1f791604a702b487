// What a user needs to see when a rollout did not complete: the new pods that
// are stuck and the latest Warning events about them, bounded for a message.
import type * as k8s from '@kubernetes/client-node';
import type { FailingPod, WarningEvent } from '../results.ts';
import { callKube } from './call-kube.ts';
import type { KubeClients } from './kube-clients.ts';
import { isPodReady, toFailingPod } from './pod-summary.ts';

/** Bounds of the evidence. */
export interface EvidenceLimits {
  /** Default 5. */
  readonly maxPods: number;
  /** Default 5. */
  readonly maxEvents: number;
  /** Event and container messages are cut to this many characters. Default 300. */
  readonly maxMessage: number;
}

/** The defaults documented on EvidenceLimits. */
export const defaultEvidenceLimits: EvidenceLimits = Object.freeze({ maxPods: 5, maxEvents: 5, maxMessage: 300 });

/** The evidence of a rollout that did not complete. */
export interface RolloutEvidence {
  readonly failingPods: readonly FailingPod[];
  readonly events: readonly WarningEvent[];
}

/** The ReplicaSet the rollout moves to, as far as evidence needs it. */
export interface NewReplicaSet {
  readonly name: string;
  /** Its pod-template-hash label, which its pods carry too. */
  readonly hash: string;
}

function lastSeenOf(event: k8s.CoreV1Event): Date {
  const when =
    event.lastTimestamp ??
    event.series?.lastObservedTime ??
    event.eventTime ??
    event.firstTimestamp ??
    event.metadata.creationTimestamp;
  return when === undefined ? new Date(0) : new Date(when);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function toWarningEvent(event: k8s.CoreV1Event, limits: EvidenceLimits): WarningEvent {
  return {
    object: `${event.involvedObject.kind ?? 'Object'}/${event.involvedObject.name ?? ''}`,
    reason: event.reason ?? '',
    message: clip(event.message ?? '', limits.maxMessage),
    count: event.count ?? event.series?.count ?? 1,
    lastSeen: lastSeenOf(event).toISOString(),
  };
}

/** The new ReplicaSet's pods, not-ready ones first; all of them when none is found. */
async function newPods(clients: KubeClients, namespace: string, replicaSet: NewReplicaSet): Promise<k8s.V1Pod[]> {
  const list = await callKube(clients, `pods in namespace "${namespace}"`, () =>
    clients.core.listNamespacedPod({ namespace, labelSelector: `pod-template-hash=${replicaSet.hash}` }),
  );
  return list.items
    .filter((p) => !isPodReady(p) && !p.metadata?.deletionTimestamp)
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

async function warningEvents(
  clients: KubeClients,
  namespace: string,
  involved: ReadonlySet<string>,
  limits: EvidenceLimits,
): Promise<WarningEvent[]> {
  const list = await callKube(clients, `events in namespace "${namespace}"`, () =>
    clients.core.listNamespacedEvent({ namespace, fieldSelector: 'type=Warning', limit: 500 }),
  );
  return list.items
    .filter((e) => involved.has(`${e.involvedObject.kind}/${e.involvedObject.name}`))
    .sort((a, b) => lastSeenOf(b).getTime() - lastSeenOf(a).getTime())
    .slice(0, limits.maxEvents)
    .map((e) => toWarningEvent(e, limits));
}

/** The latest Warning events of one pod, newest first (failed-pod alerts). */
export async function podWarningEvents(
  clients: KubeClients,
  namespace: string,
  pod: string,
  limits: EvidenceLimits = defaultEvidenceLimits,
): Promise<WarningEvent[]> {
  const list = await callKube(clients, `events of pod "${pod}" in namespace "${namespace}"`, () =>
    clients.core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.name=${pod},type=Warning`,
      limit: 200,
    }),
  );
  return list.items
    .filter((e) => e.involvedObject.kind === 'Pod')
    .sort((a, b) => lastSeenOf(b).getTime() - lastSeenOf(a).getTime())
    .slice(0, limits.maxEvents)
    .map((e) => toWarningEvent(e, limits));
}

function involvedObjects(
  deployment: k8s.V1Deployment,
  replicaSet: NewReplicaSet | undefined,
  pods: readonly k8s.V1Pod[],
): Set<string> {
  const involved = new Set([`Deployment/${deployment.metadata?.name ?? ''}`]);
  if (replicaSet !== undefined) involved.add(`ReplicaSet/${replicaSet.name}`);
  for (const pod of pods) involved.add(`Pod/${pod.metadata?.name ?? ''}`);
  return involved;
}

/**
 * Failing pods of the new ReplicaSet and the latest Warning events of the
 * Deployment, that ReplicaSet and those pods, newest first.
 */
export async function collectRolloutEvidence(
  clients: KubeClients,
  deployment: k8s.V1Deployment,
  replicaSet: NewReplicaSet | undefined,
  limits: EvidenceLimits = defaultEvidenceLimits,
): Promise<RolloutEvidence> {
  const namespace = deployment.metadata?.namespace ?? '';
  const pods = replicaSet === undefined ? [] : await newPods(clients, namespace, replicaSet);
  const involved = involvedObjects(deployment, replicaSet, pods);
  const events = await warningEvents(clients, namespace, involved, limits);
  return { failingPods: pods.slice(0, limits.maxPods).map((p) => toFailingPod(p, limits.maxMessage)), events };
}
