// The narrow door to the cluster that commands see. The implementation
// (create-kube-api.ts) is the only code that imports @kubernetes/client-node;
// every failure it raises is an AppError (see src/errors.ts).
import type { FailingPod, Revision, RolloutOutcome, RolloutProgress, WarningEvent } from '../results.ts';

/** A Kubernetes user and groups to act as (impersonation), named by a policy binding. */
export interface KubeIdentity {
  readonly user: string;
  readonly groups: readonly string[];
}

/** How a refusal names the identity: 'Kubernetes user "alice" (groups team-a, team-b)'. */
export function describeIdentity(identity: KubeIdentity): string {
  return `Kubernetes user "${identity.user}"${identity.groups.length ? ` (groups ${identity.groups.join(', ')})` : ''}`;
}

/** A Deployment by namespace and name. */
export interface DeploymentRef {
  readonly namespace: string;
  readonly name: string;
}

/** What commands need to know about a Deployment. */
export interface DeploymentSummary {
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly containers: readonly { readonly name: string; readonly image: string }[];
  readonly progress: RolloutProgress;
  /** deployment.kubernetes.io/revision */
  readonly revision?: number;
  /** The job that made its last change through Coxswain (coxswain.io/request). */
  readonly lastRequest?: string;
  readonly age?: string;
}

/** A pod as `get pods` shows it. */
export interface PodSummary {
  readonly name: string;
  readonly phase: string;
  /** ready/total containers, e.g. "1/1". */
  readonly ready: string;
  readonly restarts: number;
  /** Waiting or termination reason when not running cleanly, else the phase. */
  readonly status: string;
  readonly node?: string;
  readonly createdAt?: string;
}

/** Everything a write records about who asked, for kubernetes.io/change-cause. */
export interface ChangeOptions {
  /** e.g. "coxswain: @alice (U0ALICE) deploy web ghcr.io/acme/web:1.1". */
  readonly changeCause: string;
  /**
   * When the change was asked for (ISO 8601), for stamps such as restartedAt: a job run again after its
   * worker was lost stamps the same value, so the template does not change twice. Default: now.
   */
  readonly at?: string;
  /**
   * The job's id, recorded on the Deployment with the change cause (annotation coxswain.io/request), so a run
   * of the same job again (a retry, or resumed after its worker was lost) can tell its own change: undo does
   * not undo it, and an approved job does not take it for a change made after the approval.
   */
  readonly request?: string;
}

/** Options of followRollout. */
export interface FollowRolloutOptions {
  /** Give up (outcome 'timeout') after this long. */
  readonly timeoutMs: number;
  /** Called on every change of the counts; callers throttle what they post. */
  readonly onProgress?: (progress: RolloutProgress) => void;
  readonly signal?: AbortSignal;
}

/** How a followed rollout ended, with the evidence when it did not complete. */
export interface RolloutReport {
  readonly outcome: RolloutOutcome;
  readonly progress: RolloutProgress;
  readonly reason?: string;
  readonly failingPods: readonly FailingPod[];
  readonly events: readonly WarningEvent[];
}

/** Options of readLogs. */
export interface ReadLogsOptions {
  /** Required when the pod has more than one container. */
  readonly container?: string;
  readonly tailLines: number;
  /** The previous (crashed) instance of the container. */
  readonly previous: boolean;
  /** Hard cap on bytes read from the API. */
  readonly limitBytes: number;
}

/** The cluster operations commands may perform. */
export interface KubeApi {
  readDeployment(ref: DeploymentRef): Promise<DeploymentSummary>;
  /**
   * Sets one container's image and records the change cause. `container` is
   * required when the pod template has more than one container.
   */
  setImage(
    ref: DeploymentRef,
    options: ChangeOptions & { readonly image: string; readonly container?: string },
  ): Promise<{ readonly container: string; readonly previousImage: string; readonly generation: number }>;
  /**
   * Through the scale subresource. A Deployment that already has the count is not written to (`unchanged`), unless
   * this job's own earlier run set it.
   */
  scale(
    ref: DeploymentRef,
    replicas: number,
    options: ChangeOptions,
  ): Promise<{ readonly previous: number; readonly generation: number; readonly unchanged?: boolean }>;
  /** The name of a HorizontalPodAutoscaler that targets this Deployment, if any. */
  findAutoscaler(ref: DeploymentRef): Promise<string | undefined>;
  /** kubectl rollout restart: the kubectl.kubernetes.io/restartedAt template annotation. */
  restart(ref: DeploymentRef, options: ChangeOptions): Promise<{ readonly generation: number }>;
  /** kubectl rollout undo: the chosen ReplicaSet's template back onto the Deployment. */
  undo(
    ref: DeploymentRef,
    options: ChangeOptions & { readonly toRevision?: number },
  ): Promise<{ readonly revision: number; readonly generation: number; readonly alreadyMade?: boolean }>;
  /** Revisions from the Deployment's ReplicaSets, newest first. */
  history(ref: DeploymentRef): Promise<readonly Revision[]>;
  /** Follows by watch until complete, ProgressDeadlineExceeded, or timeout. */
  followRollout(ref: DeploymentRef, options: FollowRolloutOptions): Promise<RolloutReport>;
  listDeployments(namespace: string, labelSelector?: string): Promise<readonly DeploymentSummary[]>;
  listPods(namespace: string, labelSelector?: string): Promise<readonly PodSummary[]>;
  /** The latest Warning events about one pod, newest first, at most `limit`. */
  podEvents(namespace: string, pod: string, limit: number): Promise<readonly WarningEvent[]>;
  readLogs(
    namespace: string,
    pod: string,
    options: ReadLogsOptions,
  ): Promise<{ readonly container: string; readonly lines: readonly string[]; readonly truncated: boolean }>;
}
