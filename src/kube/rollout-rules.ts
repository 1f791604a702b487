// When a rollout counts as done or failed. Pure functions of API objects, so the
// rules can be read, unit-tested and compared with kubectl's in one place.
import type * as k8s from '@kubernetes/client-node';
import { hopelessWaitingReasons, waitingReasons } from './failure-reasons.ts';

/**
 * Thresholds for calling a rollout failed before its progress deadline. Waiting
 * ten minutes for ProgressDeadlineExceeded on an image that crash-loops at once
 * is what users hate; these let Coxswain say so within seconds.
 */
export interface HardFailureRules {
  /** A CrashLoopBackOff counts once the container restarted this often. Default 2. */
  readonly crashLoopMinRestarts: number;
  /**
   * Waiting reasons that need no restart count to be hopeless. Default: those failure-reasons.ts calls so
   * (ImagePullBackOff, ErrImagePull, CreateContainerConfigError).
   */
  readonly hopelessReasons: readonly string[];
  /** All new pods must stay failing this long before the rollout is called failed. Default 20 s. */
  readonly graceMs: number;
}

/** The defaults documented on HardFailureRules. */
export const defaultHardFailureRules: HardFailureRules = Object.freeze({
  crashLoopMinRestarts: 2,
  hopelessReasons: Object.freeze(hopelessWaitingReasons()),
  graceMs: 20_000,
});

/** Where a Deployment's rollout stands, by kubectl's rollout status rule. */
export type RolloutVerdict =
  | { readonly state: 'complete' }
  | { readonly state: 'failed'; readonly reason: string }
  | { readonly state: 'progressing' };

/**
 * kubectl rollout status: once the controller observed the latest generation,
 * ProgressDeadlineExceeded fails; complete needs every replica updated, no old
 * replica left, and every updated replica available.
 */
export function judgeDeployment(deployment: k8s.V1Deployment): RolloutVerdict {
  const status = deployment.status ?? {};
  if (!isObserved(deployment)) return { state: 'progressing' };
  const deadline = deadlineExceeded(status);
  if (deadline !== undefined) return { state: 'failed', reason: deadline };
  const updated = count(status.updatedReplicas);
  const done =
    updated >= (deployment.spec?.replicas ?? 1) &&
    count(status.replicas) <= updated &&
    count(status.availableReplicas) >= updated;
  return done ? { state: 'complete' } : { state: 'progressing' };
}

function deadlineExceeded(status: k8s.V1DeploymentStatus): string | undefined {
  const progressing = (status.conditions ?? []).find((c) => c.type === 'Progressing');
  if (progressing?.reason !== 'ProgressDeadlineExceeded') return undefined;
  return `ProgressDeadlineExceeded: ${progressing.message ?? 'the rollout made no progress in time'}`;
}

function count(value: number | undefined): number {
  return value ?? 0;
}

/** The controller has seen the Deployment's latest spec. */
export function isObserved(deployment: k8s.V1Deployment): boolean {
  return count(deployment.status?.observedGeneration) >= (deployment.metadata?.generation ?? 1);
}

/** The reason a pod is hopeless under `rules`, or undefined while it may still come up. */
export function hardFailureOf(pod: k8s.V1Pod, rules: HardFailureRules): string | undefined {
  return (pod.status?.containerStatuses ?? [])
    .map((status) => hopelessReason(status, rules))
    .find((reason) => reason !== undefined);
}

/** The container's waiting reason when it makes the pod hopeless under `rules`. */
function hopelessReason(status: k8s.V1ContainerStatus, rules: HardFailureRules): string | undefined {
  const reason = status.state?.waiting?.reason;
  if (reason === undefined) return undefined;
  if (rules.hopelessReasons.includes(reason)) return reason;
  return waitingReasons[reason]?.rollout === 'after-restarts' && status.restartCount >= rules.crashLoopMinRestarts
    ? reason
    : undefined;
}

/**
 * The shared reason when every one of `pods` is hopeless (the most common
 * reason among them), else undefined. No pods means no verdict.
 */
export function allHopeless(pods: readonly k8s.V1Pod[], rules: HardFailureRules): string | undefined {
  if (pods.length === 0) return undefined;
  const counts = new Map<string, number>();
  for (const pod of pods) {
    const reason = hardFailureOf(pod, rules);
    if (reason === undefined) return undefined;
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}
