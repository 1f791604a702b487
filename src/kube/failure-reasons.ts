// The ways a pod fails, in one table: which container waiting reasons are which
// failure, which of them make a rollout hopeless, which are a crash loop, and
// whose logs tell why. The watcher (classification, the tracker), alert delivery
// and the rollout follower read it here, so they cannot disagree.

/** The kinds of failure the watcher alerts on; the reason of an alert's key. */
export const failureReasons = [
  'CrashLoopBackOff',
  'OOMKilled',
  'ImagePullBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'Evicted',
  'Unschedulable',
  'RestartJump',
] as const;
/** One kind of failure. */
export type FailureReason = (typeof failureReasons)[number];

/** What a kind of failure means beyond its name. */
export interface FailureKind {
  /**
   * The container crashes over and over: a restart jump during it is the same loop, not a new failure. Default false.
   */
  readonly crashLoop: boolean;
  /** Which logs say why: the previous (crashed) instance's, the current one's, or none (it never started). */
  readonly logs: 'previous' | 'current' | 'none';
}

/** Every failure kind and its properties. */
export const failureKinds: Readonly<Record<FailureReason, FailureKind>> = {
  CrashLoopBackOff: { crashLoop: true, logs: 'previous' },
  OOMKilled: { crashLoop: true, logs: 'previous' },
  RestartJump: { crashLoop: false, logs: 'previous' },
  Evicted: { crashLoop: false, logs: 'current' },
  ImagePullBackOff: { crashLoop: false, logs: 'none' },
  CreateContainerConfigError: { crashLoop: false, logs: 'none' },
  CreateContainerError: { crashLoop: false, logs: 'none' },
  Unschedulable: { crashLoop: false, logs: 'none' },
};

/** A container waiting reason the API reports, and what it is. */
export interface WaitingReason {
  readonly failure: FailureReason;
  /**
   * For a rollout: `always`, no new pod will ever start (the image or its configuration is wrong); `after-restarts`,
   * once the container restarted a few times (a crash loop); `never`, it may still resolve (wait for the deadline).
   */
  readonly rollout: 'always' | 'after-restarts' | 'never';
}

/** The waiting reasons that are failures; ErrImagePull and ImagePullBackOff are one failure seen twice. */
export const waitingReasons: Readonly<Record<string, WaitingReason>> = {
  CrashLoopBackOff: { failure: 'CrashLoopBackOff', rollout: 'after-restarts' },
  ErrImagePull: { failure: 'ImagePullBackOff', rollout: 'always' },
  ImagePullBackOff: { failure: 'ImagePullBackOff', rollout: 'always' },
  InvalidImageName: { failure: 'ImagePullBackOff', rollout: 'never' },
  CreateContainerConfigError: { failure: 'CreateContainerConfigError', rollout: 'always' },
  CreateContainerError: { failure: 'CreateContainerError', rollout: 'never' },
};

/** The waiting reasons that make a rollout hopeless at once. */
export function hopelessWaitingReasons(): string[] {
  return Object.entries(waitingReasons)
    .filter(([, w]) => w.rollout === 'always')
    .map(([reason]) => reason);
}
