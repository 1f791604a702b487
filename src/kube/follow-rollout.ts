// Follows a rollout by watching the Deployment (and its pods, to spot hopeless
// ones early) instead of polling, and ends with the outcome and its evidence.
import type * as k8s from '@kubernetes/client-node';
import { AppError } from '../errors.ts';
import type { RolloutProgress } from '../results.ts';
import { describeDeployment } from './deployment-ref-text.ts';
import type { DeploymentRef, FollowRolloutOptions, RolloutReport } from './kube-api.ts';
import type { KubeClients } from './kube-clients.ts';
import { listOwnedReplicaSets } from './owned-replica-sets.ts';
import { readDeployment } from './read-deployment.ts';
import { startResilientWatch, type ResilientWatch } from './resilient-watch.ts';
import {
  collectRolloutEvidence,
  defaultEvidenceLimits,
  type EvidenceLimits,
  type NewReplicaSet,
} from './rollout-evidence.ts';
import {
  allHopeless,
  defaultHardFailureRules,
  hardFailureOf,
  judgeDeployment,
  type HardFailureRules,
} from './rollout-rules.ts';
import { parseRevision, progressOf } from './summarize-deployment.ts';
import { createWakeUp, type WakeUp } from './wake-up.ts';

/** How followRollout decides early failure and bounds its evidence; see their defaults. */
export interface FollowRolloutTuning {
  readonly rules?: HardFailureRules;
  readonly limits?: EvidenceLimits;
  /** Watch reconnect backoff: first delay (default 250 ms) and cap (default 5 s). */
  readonly watchBackoff?: { readonly initialMs: number; readonly maxMs: number };
}

interface FollowState {
  deployment: k8s.V1Deployment;
  readonly pods: Map<string, k8s.V1Pod>;
  fatal?: AppError;
  newReplicaSet?: NewReplicaSet & { readonly revision: number };
  hopelessSince?: number;
  lastProgress?: string;
}

interface Follower {
  readonly clients: KubeClients;
  readonly ref: DeploymentRef;
  readonly options: FollowRolloutOptions;
  readonly rules: HardFailureRules;
  readonly limits: EvidenceLimits;
  readonly state: FollowState;
  readonly wake: WakeUp;
}

function selectorOf(deployment: k8s.V1Deployment): string {
  const labels = deployment.spec?.selector.matchLabels ?? {};
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

function startWatches(f: Follower, tuning: FollowRolloutTuning): ResilientWatch[] {
  const { ref, state, wake } = f;
  const backoff = {
    initialBackoffMs: tuning.watchBackoff?.initialMs ?? 250,
    maxBackoffMs: tuning.watchBackoff?.maxMs ?? 5_000,
  };
  const onFatal = (error: AppError): void => {
    state.fatal = error;
    wake.notify();
  };
  const deployments = startResilientWatch(f.clients, {
    ...backoff,
    onFatal,
    path: `/apis/apps/v1/namespaces/${ref.namespace}/deployments`,
    query: { fieldSelector: `metadata.name=${ref.name}` },
    onEvent: (type, object) => {
      if (type === 'DELETED')
        state.fatal = new AppError('not_found', `${describeDeployment(ref)} was deleted during the rollout`);
      else state.deployment = object as k8s.V1Deployment;
      wake.notify();
    },
  });
  const pods = startResilientWatch(f.clients, {
    ...backoff,
    onFatal,
    path: `/api/v1/namespaces/${ref.namespace}/pods`,
    query: { labelSelector: selectorOf(state.deployment) },
    onReconnect: () => state.pods.clear(),
    onEvent: (type, object) => {
      const pod = object as k8s.V1Pod;
      const name = pod.metadata?.name ?? '';
      if (type === 'DELETED') state.pods.delete(name);
      else state.pods.set(name, pod);
      wake.notify();
    },
  });
  return [deployments, pods];
}

async function findReplicaSet(f: Follower, revision: number): Promise<NewReplicaSet | undefined> {
  const owned = await listOwnedReplicaSets(f.clients, f.state.deployment);
  const metadata = owned.find((o) => o.revision === revision)?.replicaSet.metadata;
  const hash = metadata?.labels?.['pod-template-hash'];
  return metadata?.name === undefined || hash === undefined ? undefined : { name: metadata.name, hash };
}

/** The ReplicaSet of the Deployment's current revision, cached per revision. */
async function resolveNewReplicaSet(f: Follower): Promise<NewReplicaSet | undefined> {
  const { state } = f;
  const revision = parseRevision(state.deployment.metadata?.annotations);
  if (revision === undefined) return undefined;
  if (state.newReplicaSet?.revision === revision) return state.newReplicaSet;
  const found = await findReplicaSet(f, revision);
  if (found !== undefined) state.newReplicaSet = { revision, ...found };
  return found;
}

function reportProgress(f: Follower): RolloutProgress {
  const progress = progressOf(f.state.deployment);
  const key = JSON.stringify(progress);
  if (key !== f.state.lastProgress) {
    f.state.lastProgress = key;
    f.options.onProgress?.(progress);
  }
  return progress;
}

/**
 * Why the rollout is hopeless (every new pod failing for the grace period), or
 * how long to wait before deciding. Lists ReplicaSets only when some pod looks hopeless.
 */
async function judgePods(f: Follower, now: number): Promise<{ reason?: string; recheckInMs?: number }> {
  const { state, rules } = f;
  const candidates = [...state.pods.values()];
  if (!candidates.some((p) => hardFailureOf(p, rules) !== undefined)) {
    state.hopelessSince = undefined;
    return {};
  }
  const replicaSet = await resolveNewReplicaSet(f);
  const newPods = candidates.filter(
    (p) =>
      replicaSet !== undefined &&
      p.metadata?.labels?.['pod-template-hash'] === replicaSet.hash &&
      !p.metadata.deletionTimestamp,
  );
  const reason = allHopeless(newPods, rules);
  if (reason === undefined || replicaSet === undefined) {
    state.hopelessSince = undefined;
    return {};
  }
  state.hopelessSince ??= now;
  const waited = now - state.hopelessSince;
  if (waited < rules.graceMs) return { recheckInMs: rules.graceMs - waited };
  return { reason: `${reason}: all ${newPods.length} new pod(s) of ReplicaSet ${replicaSet.name} are failing` };
}

async function finish(f: Follower, outcome: RolloutReport['outcome'], reason?: string): Promise<RolloutReport> {
  const progress = progressOf(f.state.deployment);
  if (outcome === 'complete') return { outcome, progress, failingPods: [], events: [] };
  const replicaSet = await resolveNewReplicaSet(f);
  const evidence = await collectRolloutEvidence(f.clients, f.state.deployment, replicaSet, f.limits);
  return { outcome, progress, ...(reason === undefined ? {} : { reason }), ...evidence };
}

/** One look at the state: a report when the rollout ended, else how long to sleep. */
async function step(f: Follower, deadline: number): Promise<RolloutReport | number> {
  if (f.state.fatal) throw f.state.fatal;
  f.options.signal?.throwIfAborted();
  reportProgress(f);
  const verdict = judgeDeployment(f.state.deployment);
  if (verdict.state === 'complete') return finish(f, 'complete');
  if (verdict.state === 'failed') return finish(f, 'failed', verdict.reason);
  const now = Date.now();
  const pods = await judgePods(f, now);
  if (pods.reason !== undefined) return finish(f, 'failed', pods.reason);
  if (now >= deadline)
    return finish(f, 'timeout', `the rollout did not complete within ${Math.round(f.options.timeoutMs / 1000)} s`);
  return Math.min(deadline - now, pods.recheckInMs ?? Number.POSITIVE_INFINITY);
}

/**
 * Follows the rollout until kubectl would call it complete, it fails
 * (ProgressDeadlineExceeded, or every new pod hopeless for `rules.graceMs`),
 * or `timeoutMs` passes ('timeout'). Rejects with the signal's reason when aborted.
 */
export async function followRollout(
  clients: KubeClients,
  ref: DeploymentRef,
  options: FollowRolloutOptions,
  tuning: FollowRolloutTuning = {},
): Promise<RolloutReport> {
  options.signal?.throwIfAborted();
  const deadline = Date.now() + options.timeoutMs;
  const deployment = await readDeployment(clients, ref);
  const f: Follower = {
    clients,
    ref,
    options,
    wake: createWakeUp(),
    rules: tuning.rules ?? defaultHardFailureRules,
    limits: tuning.limits ?? defaultEvidenceLimits,
    state: { deployment, pods: new Map() },
  };
  const onAbort = (): void => f.wake.notify();
  options.signal?.addEventListener('abort', onAbort);
  const watches = startWatches(f, tuning);
  try {
    for (;;) {
      const next = await step(f, deadline);
      if (typeof next !== 'number') return next;
      await f.wake.wait(next);
    }
  } finally {
    for (const watch of watches) watch.stop();
    options.signal?.removeEventListener('abort', onAbort);
  }
}
