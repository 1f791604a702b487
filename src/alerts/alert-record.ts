// One alert as stored: its subject, the episode (first post, occurrences, last
// seen), the failing pods now, and what was delivered to Slack. Pure functions
// decide what an observation changes, so dedupe is tested without Redis.
import { createHash } from 'node:crypto';
import type { AlertSubject, SubjectPod, SubjectState } from '../watch/failure-tracker.ts';

/** A short, stable id of a subject key, safe in Redis keys, BullMQ job ids and button values. */
export function alertId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 20);
}

/** A Slack message of the alert. */
export interface PostedMessage {
  readonly channel: string;
  readonly ts: string;
}

/** Who changed the workload from Slack shortly before it failed; the alert goes into that thread too. */
export interface RolloutThread extends PostedMessage {
  readonly userId: string;
  readonly description: string;
  /** When the change began (ms). Marks written before this was recorded have none, and are told of every failure. */
  readonly at?: number;
}

/** One alert episode. */
export interface AlertRecord {
  /** alertId(key): what the alert's buttons carry, and its store key. */
  readonly id: string;
  readonly key: string;
  readonly cluster: string;
  readonly subject: AlertSubject;
  readonly channel: string;
  readonly state: 'firing' | 'recovered';
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Pods that entered the failure plus restarts seen, within this episode. */
  readonly occurrences: number;
  /** Failing pods now, newest first, at most maxPods. */
  readonly pods: readonly SubjectPod[];
  readonly podCount: number;
  /** Restart counts by pod, to count occurrences once (bounded). */
  readonly seen: Readonly<Record<string, number>>;
  /** Bumped by every change worth showing; delivery sends the latest. */
  readonly version: number;
  /** The message of this episode, once posted, and the version it shows. */
  readonly message?: PostedMessage & { readonly postedAt: number };
  readonly deliveredVersion?: number;
  /** When the message was last posted or edited: edits are spaced out so new alerts are not starved. */
  readonly deliveredAt?: number;
  /** The previous episode's message, linked from this one. */
  readonly previous?: PostedMessage;
  readonly recoveredAt?: number;
  /** Set once the alert was also said in a rollout's thread. */
  readonly rolloutNotified?: RolloutThread;
}

/** Bounds of a record. */
export const alertLimits = { maxPods: 20, maxSeen: 200 } as const;

/** What an observation did. */
export type AlertChange = 'opened' | 'updated' | 'recovered' | 'unchanged';

function counted(
  seen: Readonly<Record<string, number>>,
  pods: readonly SubjectPod[],
): { seen: Record<string, number>; added: number } {
  const next: Record<string, number> = { ...seen };
  let added = 0;
  for (const pod of pods) {
    const before = next[pod.name];
    const restarts = pod.failure.restarts;
    added += before === undefined ? 1 : Math.max(0, restarts - before);
    next[pod.name] = Math.max(before ?? 0, restarts);
  }
  const names = Object.keys(next);
  for (const name of names.slice(0, Math.max(0, names.length - alertLimits.maxSeen))) delete next[name];
  return { seen: next, added };
}

/** The inputs of an observation besides the state. */
export interface ObserveContext {
  readonly cluster: string;
  readonly channel: string;
  readonly now: number;
  /** A message older than this is not edited: a new one is posted, linking it. */
  readonly cooldownMs: number;
}

function opened(state: SubjectState, c: ObserveContext, previous: AlertRecord | undefined): AlertRecord {
  const { seen, added } = counted({}, state.pods);
  return {
    id: alertId(state.key),
    key: state.key,
    cluster: c.cluster,
    subject: state.subject,
    channel: c.channel,
    state: 'firing',
    firstSeen: c.now,
    lastSeen: c.now,
    occurrences: Math.max(1, added),
    pods: state.pods.slice(0, alertLimits.maxPods),
    podCount: state.pods.length,
    seen,
    version: (previous?.version ?? 0) + 1,
    ...(previous?.message ? { previous: { channel: previous.message.channel, ts: previous.message.ts } } : {}),
  };
}

const samePods = (a: readonly SubjectPod[], b: readonly SubjectPod[]): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

/**
 * Applies what the tracker saw to the stored record. A failure with no record,
 * a recovered one, or one whose message is older than the cooldown opens a new
 * episode; otherwise the same message is updated. Seeing the same pods again
 * (a relist, a watcher restart) changes nothing.
 */
export function observe(
  record: AlertRecord | undefined,
  state: SubjectState,
  c: ObserveContext,
): { record: AlertRecord | undefined; change: AlertChange } {
  if (state.recovered || state.pods.length === 0) return recovered(record, state, c);
  const stale = record?.message !== undefined && c.now - record.message.postedAt > c.cooldownMs;
  if (!record || record.state === 'recovered' || stale) return { record: opened(state, c, record), change: 'opened' };
  return updated(record, state, c);
}

/** No pod fails: the tracker's quiet period is over (recovered), or not yet (nothing to show). */
function recovered(
  record: AlertRecord | undefined,
  state: SubjectState,
  c: ObserveContext,
): { record: AlertRecord | undefined; change: AlertChange } {
  if (!state.recovered || record?.state !== 'firing') return { record, change: 'unchanged' };
  return {
    record: { ...record, state: 'recovered', recoveredAt: c.now, pods: [], podCount: 0, version: record.version + 1 },
    change: 'recovered',
  };
}

function updated(
  record: AlertRecord,
  state: SubjectState,
  c: ObserveContext,
): { record: AlertRecord; change: AlertChange } {
  const pods = state.pods.slice(0, alertLimits.maxPods);
  const { seen, added } = counted(record.seen, state.pods);
  if (added === 0 && samePods(pods, record.pods) && state.pods.length === record.podCount)
    return { record, change: 'unchanged' };
  return {
    record: {
      ...record,
      pods,
      podCount: state.pods.length,
      seen,
      occurrences: record.occurrences + added,
      lastSeen: c.now,
      version: record.version + 1,
    },
    change: 'updated',
  };
}
