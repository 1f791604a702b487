// Delivers the latest state of one alert to Slack: a new message for a new
// episode, an edit for a change, the recovery in the thread, and the note in
// the thread of a recent rollout of that workload. Idempotent: a delivery of a
// version already delivered does nothing, so duplicate and late jobs are harmless.
import { slackErrorCode } from '../errors.ts';
import { failureKinds } from '../kube/failure-reasons.ts';
import type { KubeApi } from '../kube/kube-api.ts';
import type { Log } from '../log/create-logger.ts';
import { countAlertDelivery } from '../metrics/metrics.ts';
import { redactLines, redactSecrets } from '../text/redact-secrets.ts';
import {
  renderAlert,
  renderRecovery,
  renderRolloutFailure,
  type AlertEvidence,
  type AlertMessage,
} from '../views/render-alert.ts';
import type { SlackMessage } from '../views/slack-message.ts';
import type { AlertRecord, PostedMessage } from './alert-record.ts';
import type { AlertStore } from './alert-store.ts';
import type { SubjectPod } from '../watch/failure-tracker.ts';
import type { SlackPace } from './slack-pace.ts';
import type { RolloutMarks } from './rollout-marks.ts';

/** The Slack calls delivery makes. */
export interface AlertSlack {
  post(channel: string, message: AlertMessage | SlackMessage, threadTs?: string): Promise<string>;
  update(message: PostedMessage, content: AlertMessage): Promise<void>;
}

/** Everything delivery needs, injected. */
export interface AlertDeliveryDeps {
  readonly store: Pick<AlertStore, 'get' | 'delivered' | 'rolloutNotified'>;
  readonly kube: Pick<KubeApi, 'readLogs' | 'podEvents'>;
  readonly slack: AlertSlack;
  readonly pace: Pick<SlackPace, 'take'>;
  readonly rollouts: Pick<RolloutMarks, 'find'>;
  readonly log: Log;
  readonly now?: () => number;
  /**
   * Least time between two edits of one alert (its count and last-seen move on
   * every crash); a new alert or a recovery is never held back by it. Default 5 s.
   */
  readonly editIntervalMs?: number;
  /** Waits (the rollout thread's channel pace); a timer by default. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Done, or try again after a while (the channel's pace). */
export type DeliveryOutcome = { readonly kind: 'done' } | { readonly kind: 'later'; readonly afterMs: number };

/** Slack errors that retrying will not fix. */
const permanentSlackErrors = new Set([
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'invalid_blocks',
  'msg_too_long',
]);

const logLines = 20;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function gatherEvidence(deps: AlertDeliveryDeps, r: AlertRecord): Promise<AlertEvidence | undefined> {
  const pod = r.pods[0];
  if (!pod) return undefined;
  const namespace = r.subject.namespace;
  // Which logs say why: the crashed instance's, the evicted pod's own, or none (the container never started).
  const whichLogs = failureKinds[r.subject.reason].logs;
  const previous = whichLogs === 'previous';
  const wantsLogs = whichLogs !== 'none';
  const [logs, events] = await Promise.all([
    wantsLogs
      ? deps.kube
          .readLogs(namespace, pod.name, {
            ...(pod.failure.container ? { container: pod.failure.container } : {}),
            tailLines: logLines,
            previous,
            limitBytes: 64 * 1024,
          })
          .then(
            (l) => ({ lines: redactLines(l.lines) }),
            (error: unknown) => ({
              lines: [],
              unavailable: redactSecrets(`logs unavailable: ${error instanceof Error ? error.message : String(error)}`),
            }),
          )
      : Promise.resolve({ lines: [], unavailable: 'the container never started, so it has no logs' }),
    deps.kube.podEvents(namespace, pod.name, 5).then(
      (events) => events.map((e) => ({ ...e, message: redactSecrets(e.message) })),
      () => [],
    ),
  ]);
  return {
    pod: pod.name,
    previous,
    lines: logs.lines,
    events,
    ...(pod.failure.container ? { container: pod.failure.container } : {}),
    ...('unavailable' in logs ? { logsUnavailable: logs.unavailable } : {}),
  };
}

/**
 * How much earlier than the change a pod's creationTimestamp may read and the pod still be the change's: it is in whole
 * seconds, and clocks differ.
 */
const creationSlackMs = 2000;

/**
 * Whether a failing pod may have been made by a change that began at `at`; an unknown creation time counts as made by
 * it.
 */
const mayBeMadeAt =
  (at: number) =>
  (pod: SubjectPod): boolean =>
    !pod.createdAt || pod.createdAt > at - creationSlackMs;

/**
 * Says a firing alert in the thread of a recent Coxswain change of that Deployment, once per episode,
 * when a failing pod may be the change's: pods that were failing before it are not its doing (a
 * `rollout undo` that ends a crash loop was told "failing after your change" by the old pods' last restarts).
 */
async function tellRollout(deps: AlertDeliveryDeps, r: AlertRecord, alert: PostedMessage | undefined): Promise<void> {
  if (r.state !== 'firing' || r.rolloutNotified || r.subject.workload.kind !== 'Deployment') return;
  const mark = await deps.rollouts.find(r.subject.namespace, r.subject.workload.name);
  if (!mark || (mark.at !== undefined && !r.pods.some(mayBeMadeAt(mark.at)))) return;
  // Once per episode, so it waits for its channel's pace here rather than going round the queue.
  for (let wait = await deps.pace.take('post', mark.channel, r.id); wait > 0;) {
    await (deps.sleep ?? sleep)(wait);
    wait = await deps.pace.take('post', mark.channel, r.id);
  }
  await deps.slack.post(mark.channel, renderRolloutFailure(r, mark, alert), mark.ts);
  await deps.store.rolloutNotified(r.key, mark);
}

async function send(
  deps: AlertDeliveryDeps,
  r: AlertRecord,
  now: number,
  evidence: AlertEvidence | undefined,
): Promise<PostedMessage | undefined> {
  const content = renderAlert(r, evidence, now);
  if (r.message) {
    await deps.slack.update(r.message, content);
    await deps.store.delivered(r.key, r.version);
    if (r.state === 'recovered') await deps.slack.post(r.message.channel, renderRecovery(r), r.message.ts);
    return r.message;
  }
  if (r.state === 'recovered') {
    await deps.store.delivered(r.key, r.version);
    return undefined;
  }
  const ts = await deps.slack.post(r.channel, content);
  const posted = { channel: r.channel, ts };
  await deps.store.delivered(r.key, r.version, { ...posted, postedAt: now, episode: r.firstSeen });
  return posted;
}

/** How long an edit of a firing alert must still wait; 0 for a first post or a recovery. */
function editWait(deps: AlertDeliveryDeps, r: AlertRecord, now: number): number {
  if (!r.message || r.state !== 'firing' || r.deliveredAt === undefined) return 0;
  return r.deliveredAt + (deps.editIntervalMs ?? 5000) - now;
}

/** What a delivery of the record sends: a first post, an edit, or an edit with the recovery in the thread. */
const actionOf = (r: AlertRecord): 'post' | 'edit' | 'recovery' =>
  !r.message ? 'post' : r.state === 'recovered' ? 'recovery' : 'edit';

/**
 * Sends; a channel the bot cannot post to is said in the log and given up (retrying cannot help until someone invites
 * it). Counts each outcome for /metrics.
 */
async function sendOrGiveUp(
  deps: AlertDeliveryDeps,
  r: AlertRecord,
  now: number,
  evidence: AlertEvidence | undefined,
): Promise<{ posted?: PostedMessage; gaveUp: boolean }> {
  const action = actionOf(r);
  try {
    const posted = await send(deps, r, now, evidence);
    // A recovery that was never posted sends nothing.
    if (posted) {
      const sinceFirstSeen = action === 'post' ? (deps.now ?? Date.now)() - r.firstSeen : undefined;
      countAlertDelivery(action, 'delivered', sinceFirstSeen);
    }
    return posted ? { posted, gaveUp: false } : { gaveUp: false };
  } catch (error) {
    const code = slackErrorCode(error);
    if (code === undefined || !permanentSlackErrors.has(code)) {
      countAlertDelivery(action, 'failed');
      throw error;
    }
    countAlertDelivery(action, 'gave_up');
    deps.log('error', 'cannot post the alert to its channel', {
      alert: r.key,
      channel: r.channel,
      slackError: code,
      hint: 'invite the bot to the channel or fix alerts.routes',
    });
    await deps.store.delivered(r.key, r.version);
    return { gaveUp: true };
  }
}

/**
 * Takes Slack's budget for what the record sends, reading the evidence at the right moment: a first post reads it
 * first, so the channel's slot is spent right before the post; an edit first takes its place in the workspace's line,
 * so an edit that must wait reads nothing now. A recovery takes its own budget, then the channel's for its thread.
 */
async function paced(
  deps: AlertDeliveryDeps,
  r: AlertRecord,
): Promise<{ wait: number; evidence?: AlertEvidence | undefined }> {
  if (!r.message) {
    if (r.state === 'recovered') return { wait: 0 }; // nothing to send
    const evidence = await gatherEvidence(deps, r);
    return { wait: await deps.pace.take('post', r.channel, r.id), evidence };
  }
  if (r.state === 'recovered') {
    const wait = await deps.pace.take('recovery', r.message.channel, r.id);
    return { wait: wait > 0 ? wait : await deps.pace.take('post', r.message.channel, r.id) };
  }
  const wait = await deps.pace.take('edit', r.message.channel, r.id);
  return wait > 0 ? { wait } : { wait, evidence: await gatherEvidence(deps, r) };
}

/**
 * Delivers what the record says now, if it has not been delivered yet. The
 * caller holds the alert's lock, so one alert is never sent twice at once.
 */
export async function deliverAlert(deps: AlertDeliveryDeps, key: string): Promise<DeliveryOutcome> {
  const r = await deps.store.get(key);
  if (!r || (r.deliveredVersion ?? 0) >= r.version) return { kind: 'done' };
  const now = (deps.now ?? Date.now)();
  const editIn = editWait(deps, r, now);
  if (editIn > 0) return { kind: 'later', afterMs: editIn };
  const { wait, evidence } = await paced(deps, r);
  if (wait > 0) return { kind: 'later', afterMs: wait };
  const sent = await sendOrGiveUp(deps, r, now, evidence);
  if (sent.gaveUp) return { kind: 'done' };
  await tellRollout(deps, r, sent.posted);
  deps.log('info', 'alert delivered', {
    alert: key,
    state: r.state,
    version: r.version,
    channel: r.channel,
    pods: r.podCount,
  });
  return { kind: 'done' };
}
