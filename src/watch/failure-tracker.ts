// The watcher's memory: which pods fail, grouped by what an alert is about —
// (namespace, workload, reason) — so 20 crashing pods of one Deployment are one
// subject with 20 pods, and a subject with no failing pod for a while has
// recovered. Kept small: a healthy pod costs a restart count and a time.
import { failureKinds } from '../kube/failure-reasons.ts';
import {
  classifyPod,
  defaultClassifyOptions,
  type ClassifyOptions,
  type FailureReason,
  type PodFailure,
} from './classify-pod.ts';
import { watchedPod, type PodJson, type WatchedPod, type Workload } from './watched-pod.ts';

/** What one alert is about. */
export interface AlertSubject {
  readonly namespace: string;
  readonly workload: Workload;
  readonly reason: FailureReason;
}

/** One failing pod of a subject. */
export interface SubjectPod {
  readonly name: string;
  readonly failure: PodFailure;
  /**
   * The pod's creationTimestamp (ms, whole seconds; 0 unknown): a change is told only of failing pods it may have made.
   */
  readonly createdAt?: number;
}

/** A subject as it stands: its failing pods (newest first), or recovered. */
export interface SubjectState {
  readonly subject: AlertSubject;
  /** Stable text key: `namespace/Kind/name/reason`. */
  readonly key: string;
  readonly pods: readonly SubjectPod[];
  readonly recovered: boolean;
}

/** Options of createFailureTracker. */
export interface FailureTrackerOptions {
  /** Called whenever a subject's failing pods change, and once when it recovers. */
  readonly onChange: (state: SubjectState) => void;
  /** A subject with no failing pod for this long has recovered. Default 120 s. */
  readonly recoverAfterMs?: number;
  /** Restart counts older than this are forgotten (a jump is counted within it). Default 10 min. */
  readonly restartWindowMs?: number;
  readonly classify?: ClassifyOptions;
  readonly now?: () => number;
}

/** The tracker, fed by the pod informer. */
export interface FailureTracker {
  /** A pod was listed, added or modified. */
  upsert(pod: PodJson): void;
  remove(pod: PodJson): void;
  /** A (re)list begins: pods not listed again before listEnd are gone. */
  listStart(): void;
  listEnd(): void;
  /** Re-evaluates what time alone changes: Unschedulable thresholds and recoveries. Call every second or so. */
  tick(): void;
  /** Subjects with failing pods now (for the watcher's start-up reconciliation). */
  failingKeys(): ReadonlySet<string>;
  /** Pods tracked, for metrics. */
  size(): number;
}

interface PodTrack {
  baseline: number;
  baselineAt: number;
  key?: string;
  failure?: PodFailure;
  /** Kept only while failing or waiting to be scheduled; its name and subject for the others. */
  pod?: WatchedPod;
  listed: boolean;
}

interface TrackedSubject {
  readonly subject: AlertSubject;
  readonly pods: Map<string, SubjectPod>;
  emptySince?: number;
}

/** The text key of a subject. */
export function subjectKey(s: AlertSubject): string {
  return `${s.namespace}/${s.workload.kind}/${s.workload.name}/${s.reason}`;
}

/** Builds a tracker; it never calls the API and never throws on odd pods. */
export function createFailureTracker(options: FailureTrackerOptions): FailureTracker {
  const now = options.now ?? Date.now;
  const recoverAfterMs = options.recoverAfterMs ?? 120_000;
  const windowMs = options.restartWindowMs ?? 600_000;
  const classifyOptions = options.classify ?? defaultClassifyOptions;
  const pods = new Map<string, PodTrack>();
  const subjects = new Map<string, TrackedSubject>();

  const stateOf = (key: string, s: TrackedSubject, recovered = false): SubjectState => ({
    subject: s.subject,
    key,
    recovered,
    pods: [...s.pods.values()].reverse(),
  });

  const leave = (uid: string, track: PodTrack): void => {
    const s = track.key === undefined ? undefined : subjects.get(track.key);
    if (!s || track.key === undefined) return;
    s.pods.delete(uid);
    if (s.pods.size === 0) s.emptySince = now();
    options.onChange(stateOf(track.key, s));
  };

  const join = (uid: string, pod: WatchedPod, failure: PodFailure): string => {
    const subject: AlertSubject = { namespace: pod.namespace, workload: pod.workload, reason: failure.reason };
    const key = subjectKey(subject);
    const s = subjects.get(key) ?? { subject, pods: new Map<string, SubjectPod>() };
    subjects.set(key, s);
    delete s.emptySince;
    s.pods.delete(uid); // re-inserted last: newest first in stateOf
    s.pods.set(uid, { name: pod.name, failure, createdAt: pod.createdAt });
    options.onChange(stateOf(key, s));
    return key;
  };

  const classify = (pod: WatchedPod, track: PodTrack, at: number): PodFailure | undefined => {
    const failure = classifyPod(pod, at, track.baseline, classifyOptions);
    // A crash loop's pod is briefly Running between crashes; it stays a crash loop rather than becoming a restart jump.
    if (failure?.reason === 'RestartJump' && track.failure && failureKinds[track.failure.reason].crashLoop)
      return { ...track.failure, restarts: failure.restarts };
    return failure;
  };

  const sameFailure = (a: PodFailure | undefined, b: PodFailure | undefined): boolean =>
    JSON.stringify(a) === JSON.stringify(b);

  /** Restart counts are compared within a window: an old baseline is replaced while the pod is healthy. */
  const rebase = (pod: WatchedPod, track: PodTrack, at: number): void => {
    if (at - track.baselineAt <= windowMs || track.failure) return;
    track.baseline = pod.containers.reduce((sum, c) => sum + c.restarts, 0);
    track.baselineAt = at;
  };

  const evaluate = (pod: WatchedPod, track: PodTrack): void => {
    const at = now();
    rebase(pod, track, at);
    const failure = classify(pod, track, at);
    const key = failure
      ? subjectKey({ namespace: pod.namespace, workload: pod.workload, reason: failure.reason })
      : undefined;
    track.pod = failure || pod.unschedulable ? pod : undefined;
    if (key === track.key && sameFailure(failure, track.failure)) return;
    if (track.key !== undefined && key !== track.key) leave(pod.uid, track);
    track.failure = failure;
    track.key = failure ? join(pod.uid, pod, failure) : undefined;
  };

  const upsert = (json: PodJson): void => {
    const pod = watchedPod(json);
    const restarts = pod.containers.reduce((sum, c) => sum + c.restarts, 0);
    const track = pods.get(pod.uid) ?? { baseline: restarts, baselineAt: now(), listed: true };
    track.listed = true;
    pods.set(pod.uid, track);
    evaluate(pod, track);
  };

  const forget = (uid: string): void => {
    const track = pods.get(uid);
    if (!track) return;
    pods.delete(uid);
    leave(uid, track);
  };

  return {
    upsert,
    remove: (json) => forget(watchedPod(json).uid),
    listStart: () => {
      for (const track of pods.values()) track.listed = false;
    },
    listEnd: () => {
      for (const [uid, track] of pods) if (!track.listed) forget(uid);
    },
    tick: () => {
      for (const track of pods.values()) if (track.pod && !track.failure) evaluate(track.pod, track);
      const at = now();
      for (const [key, s] of subjects) {
        if (s.emptySince === undefined || at - s.emptySince < recoverAfterMs) continue;
        subjects.delete(key);
        options.onChange(stateOf(key, s, true));
      }
    },
    failingKeys: () => new Set([...subjects].filter(([, s]) => s.pods.size > 0).map(([key]) => key)),
    size: () => pods.size,
  };
}
