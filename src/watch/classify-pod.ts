// Is this pod failing, and how? A pure function of the pod and the time, so
// each rule is tested on its own. Pods being deleted and finished pods are not
// failures; the first failing container (init containers first) decides.
import { failureKinds, waitingReasons, type FailureReason } from '../kube/failure-reasons.ts';
import type { WatchedContainer, WatchedPod } from './watched-pod.ts';

export { failureReasons, type FailureReason } from '../kube/failure-reasons.ts';

/** Why a pod fails, with what on-call reads first. */
export interface PodFailure {
  readonly reason: FailureReason;
  /** The container at fault, when one is. */
  readonly container?: string;
  /** The API's message: why the image could not be pulled, what was not found, why it was evicted. */
  readonly message?: string;
  /** The previous instance's end (CrashLoopBackOff, OOMKilled, RestartJump). */
  readonly lastTerminated?: { readonly reason: string; readonly exitCode: number };
  /** All restarts of the pod's containers. */
  readonly restarts: number;
}

/** Thresholds of classification. */
export interface ClassifyOptions {
  /** A pod unschedulable for longer than this is a failure. Default 60 s. */
  readonly unschedulableAfterMs: number;
  /** Restarts added since `restartBaseline` that make a jump. Default 3. */
  readonly restartJump: number;
}

/** Defaults of ClassifyOptions. */
export const defaultClassifyOptions: ClassifyOptions = { unschedulableAfterMs: 60_000, restartJump: 3 };

const totalRestarts = (pod: WatchedPod): number => pod.containers.reduce((sum, c) => sum + c.restarts, 0);

function containerFailure(pod: WatchedPod, c: WatchedContainer): PodFailure | undefined {
  const kind = c.waitingReason === undefined ? undefined : waitingReasons[c.waitingReason]?.failure;
  if (!kind) return undefined;
  // A crash loop whose last instance was OOM-killed is an OOM problem, not a code one.
  const reason = kind === 'CrashLoopBackOff' && c.lastTerminated?.reason === 'OOMKilled' ? 'OOMKilled' : kind;
  return {
    reason,
    container: c.name,
    restarts: totalRestarts(pod),
    ...(c.waitingMessage ? { message: c.waitingMessage } : {}),
    ...(c.lastTerminated && failureKinds[reason].crashLoop ? { lastTerminated: c.lastTerminated } : {}),
  };
}

function restartJump(pod: WatchedPod, baseline: number | undefined, jump: number): PodFailure | undefined {
  if (baseline === undefined) return undefined;
  const restarts = totalRestarts(pod);
  if (restarts - baseline < jump) return undefined;
  const culprit = [...pod.containers].sort((a, b) => b.restarts - a.restarts)[0];
  return {
    reason: 'RestartJump',
    restarts,
    ...(culprit ? { container: culprit.name } : {}),
    ...(culprit?.lastTerminated ? { lastTerminated: culprit.lastTerminated } : {}),
    message: `${restarts - baseline} restarts since it was first seen (now ${restarts})`,
  };
}

/**
 * The pod's failure at `now`, or undefined when it is healthy, starting, being
 * deleted, or finished. `restartBaseline` is the restart count the watcher
 * saw first (within its window); a rise of `restartJump` over it is a failure
 * even when the pod is running again in between.
 */
export function classifyPod(
  pod: WatchedPod,
  now: number,
  restartBaseline?: number,
  options: ClassifyOptions = defaultClassifyOptions,
): PodFailure | undefined {
  if (pod.deleting || pod.phase === 'Succeeded') return undefined;
  if (pod.phase === 'Failed') return evicted(pod);
  for (const c of pod.containers) {
    const failure = containerFailure(pod, c);
    if (failure) return failure;
  }
  return (
    unschedulable(pod, now, options.unschedulableAfterMs) ?? restartJump(pod, restartBaseline, options.restartJump)
  );
}

function evicted(pod: WatchedPod): PodFailure | undefined {
  return pod.reason === 'Evicted'
    ? { reason: 'Evicted', restarts: totalRestarts(pod), message: pod.message }
    : undefined;
}

function unschedulable(pod: WatchedPod, now: number, afterMs: number): PodFailure | undefined {
  if (pod.phase !== 'Pending' || !pod.unschedulable || now - pod.unschedulable.since < afterMs) return undefined;
  return { reason: 'Unschedulable', restarts: 0, message: pod.unschedulable.message };
}
