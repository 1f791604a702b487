// The leader's work: list and watch every pod, track failures by subject, and
// turn each change into a stored alert and a delivery job. Redis being away
// loses nothing: the latest state of each changed subject waits here and is
// applied when Redis answers again.
import type { KubeConnection } from '../kube/kube-connection.ts';
import { startPodInformer } from '../kube/pod-informer.ts';
import type { Log } from '../log/create-logger.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import { parseDuration } from '../text/duration.ts';
import { countAlert } from '../metrics/metrics.ts';
import type { AlertQueue } from '../alerts/alert-queue.ts';
import type { AlertStore } from '../alerts/alert-store.ts';
import { createFailureTracker, type SubjectState } from './failure-tracker.ts';
import { alertChannelFor } from '../alerts/route-alert.ts';

/** Everything the watcher needs, injected. */
export interface AlertWatcherDeps {
  readonly connection: KubeConnection;
  readonly policy: Pick<PolicyStore, 'current'>;
  readonly store: Pick<AlertStore, 'apply' | 'get' | 'firingKeys'>;
  readonly queue: Pick<AlertQueue, 'enqueue'>;
  readonly cluster: string;
  readonly log: Log;
  /** How often time-driven checks run (Unschedulable, recovery, retries). Default 1000 ms. */
  readonly tickMs?: number;
  /**
   * A subject whose failing pods stay the same but crash again (only counts move) is written to Redis at most this
   * often; a new alert, a pod joining or leaving and a recovery are written at once. Default 5000 ms, the least time
   * between two edits of an alert: writing more often only makes work nobody sees.
   */
  readonly countsEveryMs?: number;
}

/** A running watcher. */
export interface AlertWatcher {
  /** True once the first list of pods is in. */
  synced(): boolean;
  /** Pods tracked now. */
  tracked(): number;
  stop(): void;
}

const ms = (text: string, fallback: number): number => parseDuration(text) ?? fallback;

/**
 * Pods per list page: a page's parsed JSON is garbage once handed over, and small pages die young (bench/RESULTS.md
 * 4.2).
 */
const listPageSize = 100;

/** Starts watching; call only while leading. */
export function startAlertWatcher(deps: AlertWatcherDeps): AlertWatcher {
  const alerts = deps.policy.current().alerts;
  const pending = new Map<string, SubjectState>();
  /** Subjects written lately: when, and their failing pods then; a change of counts only waits for countsEveryMs. */
  const written = new Map<string, { readonly at: number; readonly pods: string }>();
  const countsEveryMs = deps.countsEveryMs ?? 5000;
  const podsOf = (state: SubjectState): string => state.pods.map((pod) => pod.name).join(' ');
  /** True while a change of counts only of this subject may wait. */
  const mayWait = (state: SubjectState, now: number): boolean => {
    const last = written.get(state.key);
    return !state.recovered && last !== undefined && now - last.at < countsEveryMs && last.pods === podsOf(state);
  };
  /** Firing in Redis but not failing in the first list: recovered if still so after recoverAfter. */
  const orphans = new Map<string, number>();
  let draining = false;
  let synced = false;
  const recoverAfterMs = ms(alerts.recoverAfter, 120_000);

  const applyOne = async (state: SubjectState): Promise<void> => {
    const channel = alertChannelFor(deps.policy.current(), state.subject.namespace);
    if (!channel) return;
    const policyAlerts = deps.policy.current().alerts;
    const { record, change } = await deps.store.apply(state, {
      cluster: deps.cluster,
      channel,
      now: Date.now(),
      cooldownMs: ms(policyAlerts.cooldown, 600_000),
    });
    if (state.recovered) written.delete(state.key);
    else written.set(state.key, { at: Date.now(), pods: podsOf(state) });
    if (change === 'unchanged' || !record) return;
    countAlert(state.subject.reason, change);
    await deps.queue.enqueue(record.key, record.version, change !== 'updated');
    // A crash loop updates its alert at every restart: said at debug, the rest at info.
    deps.log(change === 'updated' ? 'debug' : 'info', `alert ${change}`, {
      alert: record.key,
      version: record.version,
      pods: record.podCount,
      channel,
    });
  };

  const drain = async (): Promise<void> => {
    if (draining) return;
    draining = true;
    try {
      for (const [key, state] of pending) {
        if (mayWait(state, Date.now())) continue; // a later tick writes it
        await applyOne(state);
        if (pending.get(key) === state) pending.delete(key);
      }
    } catch (error) {
      deps.log('warn', 'could not record alerts; retrying', { pending: pending.size, error: String(error) });
    } finally {
      draining = false;
    }
  };

  const tracker = createFailureTracker({
    recoverAfterMs,
    classify: { unschedulableAfterMs: ms(alerts.unschedulableAfter, 60_000), restartJump: 3 },
    onChange: (state) => {
      orphans.delete(state.key);
      pending.delete(state.key); // re-inserted last, so a busy subject does not starve the others
      pending.set(state.key, state);
      void drain();
    },
  });

  const findOrphans = async (): Promise<void> => {
    const failing = tracker.failingKeys();
    for (const key of await deps.store.firingKeys())
      if (!failing.has(key) && !orphans.has(key)) orphans.set(key, Date.now());
  };

  const recoverOrphans = async (): Promise<void> => {
    for (const [key, since] of orphans) {
      if (Date.now() - since < recoverAfterMs) continue;
      orphans.delete(key);
      const record = await deps.store.get(key);
      if (record?.state === 'firing') pending.set(key, { key, subject: record.subject, pods: [], recovered: true });
    }
  };

  const informer = startPodInformer({
    connection: deps.connection,
    pageSize: listPageSize,
    onListStart: () => tracker.listStart(),
    onPod: (type, pod) => (type === 'DELETED' ? tracker.remove(pod) : tracker.upsert(pod)),
    onListEnd: () => {
      tracker.listEnd();
      if (!synced)
        void findOrphans().catch((error: unknown) =>
          deps.log('warn', 'could not read firing alerts', { error: String(error) }),
        );
      synced = true;
    },
    onError: (error, retryInMs) => deps.log('warn', 'pod watch interrupted', { error: error.userMessage, retryInMs }),
    onFatal: (error) => deps.log('error', 'pod watch stopped for good', { error: error.userMessage }),
  });

  const timer = setInterval(() => {
    tracker.tick();
    void recoverOrphans()
      .then(drain)
      .catch((error: unknown) => deps.log('warn', 'alert tick failed', { error: String(error) }));
  }, deps.tickMs ?? 1000);
  timer.unref();

  return {
    synced: () => synced,
    tracked: () => tracker.size(),
    stop: () => {
      clearInterval(timer);
      informer.stop();
    },
  };
}
