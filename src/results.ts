// Platform-neutral results of commands. Commands return these; src/views/ turns
// them into Block Kit (or console text). Nothing here knows about Slack.

/** Replica counts of a Deployment as a rollout moves. */
export interface RolloutProgress {
  /** spec.replicas */
  readonly desired: number;
  readonly updated: number;
  readonly ready: number;
  readonly available: number;
  /** status.observedGeneration ≥ metadata.generation: the controller has seen the change. */
  readonly observed: boolean;
}

/** A pod that keeps a rollout from completing, with what the kubelet says about it. */
export interface FailingPod {
  readonly name: string;
  readonly phase: string;
  readonly ready: boolean;
  readonly restarts: number;
  /** The container's waiting reason, e.g. CrashLoopBackOff, ImagePullBackOff. */
  readonly reason?: string;
  readonly message?: string;
  /** Why the container last ended, e.g. { reason: 'OOMKilled', exitCode: 137 }. */
  readonly lastTermination?: { readonly reason: string; readonly exitCode: number };
}

/** A Warning event, most recent first in lists. */
export interface WarningEvent {
  /** kind/name of the object, e.g. Pod/web-5d8-abc. */
  readonly object: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  readonly lastSeen: string;
}

/** How a rollout ended. */
export type RolloutOutcome = 'complete' | 'failed' | 'timeout';

/** The verb that started a rollout, for the wording of its result. */
export type RolloutAction = 'deploy' | 'scale' | 'restart' | 'undo' | 'status';

/** deploy, scale, rollout restart/undo/status. */
export interface RolloutResult {
  readonly kind: 'rollout';
  readonly action: RolloutAction;
  readonly namespace: string;
  readonly deployment: string;
  readonly outcome: RolloutOutcome;
  readonly progress: RolloutProgress;
  readonly durationMs: number;
  /** One line on what changed, e.g. "web: ghcr.io/acme/web:1.0 → ghcr.io/acme/web:1.1". */
  readonly change?: string;
  /** Why it failed, e.g. "ProgressDeadlineExceeded: ReplicaSet web-7f has timed out progressing". */
  readonly reason?: string;
  readonly failingPods: readonly FailingPod[];
  readonly events: readonly WarningEvent[];
}

/** One revision of a Deployment (one ReplicaSet). */
export interface Revision {
  readonly revision: number;
  readonly changeCause?: string;
  readonly images: readonly string[];
  readonly current: boolean;
  readonly createdAt?: string;
}

/** rollout history. */
export interface HistoryResult {
  readonly kind: 'history';
  readonly namespace: string;
  readonly deployment: string;
  readonly revisions: readonly Revision[];
}

/** get pods|deployments: a compact table. */
export interface TableResult {
  readonly kind: 'table';
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Rows left out to stay within bounds. */
  readonly omitted: number;
}

/** logs. */
export interface LogsResult {
  readonly kind: 'logs';
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly previous: boolean;
  readonly lines: readonly string[];
  /** Lines or bytes were cut to stay within bounds. */
  readonly truncated: boolean;
}

/** help, whoami and other plain answers. */
export interface TextResult {
  readonly kind: 'text';
  readonly title?: string;
  /** Plain text; may contain simple markdown (`code`, *bold*). */
  readonly text: string;
}

/** Anything a command returns. */
export type CommandResult = RolloutResult | HistoryResult | TableResult | LogsResult | TextResult;
