// Pods as people read them in `kubectl get pods`: READY, RESTARTS and the
// STATUS column, whose value is the most telling reason, not just the phase.
import type * as k8s from '@kubernetes/client-node';
import type { FailingPod } from '../results.ts';
import type { PodSummary } from './kube-api.ts';

function containerReason(status: k8s.V1ContainerStatus): string | undefined {
  const state = status.state;
  if (state?.waiting?.reason) return state.waiting.reason;
  const terminated = state?.terminated;
  if (terminated === undefined) return undefined;
  if (terminated.reason) return terminated.reason;
  return terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
}

function initReason(pod: k8s.V1Pod): string | undefined {
  const statuses = pod.status?.initContainerStatuses ?? [];
  for (const [index, status] of statuses.entries()) {
    if (status.state?.terminated?.exitCode === 0) continue;
    const reason = containerReason(status);
    if (reason !== undefined && reason !== 'PodInitializing') return `Init:${reason}`;
    return `Init:${index}/${statuses.length}`;
  }
  return undefined;
}

/** kubectl's STATUS column, simplified: Terminating, init state, a container's reason, else pod reason or phase. */
export function podStatusText(pod: k8s.V1Pod): string {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  const init = initReason(pod);
  if (init !== undefined) return init;
  const reasons = (pod.status?.containerStatuses ?? []).map(containerReason).filter((r) => r !== undefined);
  return reasons.at(-1) ?? podLevelStatus(pod.status);
}

function podLevelStatus(status: k8s.V1PodStatus | undefined): string {
  return status?.reason ?? status?.phase ?? 'Unknown';
}

/** Total restarts of the pod's containers. */
export function podRestarts(pod: k8s.V1Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((sum, s) => sum + s.restartCount, 0);
}

function readyText(pod: k8s.V1Pod): string {
  const statuses = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers.length ?? statuses.length;
  return `${statuses.filter((s) => s.ready).length}/${total}`;
}

/** One row of `get pods`. */
export function summarizePod(pod: k8s.V1Pod): PodSummary {
  const created = pod.metadata?.creationTimestamp;
  const node = pod.spec?.nodeName;
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    ready: readyText(pod),
    restarts: podRestarts(pod),
    status: podStatusText(pod),
    ...(node === undefined ? {} : { node }),
    ...(created === undefined ? {} : { createdAt: new Date(created).toISOString() }),
  };
}

/** True when every container reports ready. */
export function isPodReady(pod: k8s.V1Pod): boolean {
  const statuses = pod.status?.containerStatuses ?? [];
  return statuses.length > 0 && statuses.every((s) => s.ready);
}

/** The first container status that explains trouble: waiting with a reason, else last terminated. */
function troubledContainer(pod: k8s.V1Pod): k8s.V1ContainerStatus | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  return statuses.find((s) => s.state?.waiting?.reason) ?? statuses.find((s) => s.lastState?.terminated);
}

/** A pod as evidence of a failed rollout. */
export function toFailingPod(pod: k8s.V1Pod, maxMessage = 300): FailingPod {
  const status = troubledContainer(pod);
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    ready: isPodReady(pod),
    restarts: podRestarts(pod),
    ...waitingDetails(pod, status, maxMessage),
    ...lastTermination(status),
  };
}

function waitingDetails(
  pod: k8s.V1Pod,
  status: k8s.V1ContainerStatus | undefined,
  maxMessage: number,
): { reason?: string; message?: string } {
  const waiting = status?.state?.waiting ?? {};
  const podStatus = pod.status ?? {};
  const reason = waiting.reason ?? podStatus.reason;
  const message = waiting.message ?? podStatus.message;
  return { ...(reason ? { reason } : {}), ...(message ? { message: message.slice(0, maxMessage) } : {}) };
}

function lastTermination(status: k8s.V1ContainerStatus | undefined): Pick<FailingPod, 'lastTermination'> {
  const terminated = status?.lastState?.terminated;
  return terminated
    ? { lastTermination: { reason: terminated.reason ?? 'Unknown', exitCode: terminated.exitCode } }
    : {};
}
