// Delivery with fakes: a first post, spaced edits, recovery in the thread, a
// channel the bot is not in, the channel's pace, and the rollout's thread.
import { describe, expect, it } from '@jest/globals';
import { observe, type AlertRecord } from '../../../src/alerts/alert-record.ts';
import { deliverAlert, type AlertDeliveryDeps } from '../../../src/alerts/deliver-alert.ts';
import type { PaceLane } from '../../../src/alerts/slack-pace.ts';
import { registry } from '../../../src/metrics/metrics.ts';
import type { SubjectState } from '../../../src/watch/failure-tracker.ts';
import { validateBlocks } from '../../support/slack-emulator/index.ts';

const key = 'prod/Deployment/web/CrashLoopBackOff';
const state = (restarts: number, recovered = false, createdAt?: number): SubjectState => ({
  key,
  recovered,
  subject: { namespace: 'prod', workload: { kind: 'Deployment', name: 'web' }, reason: 'CrashLoopBackOff' },
  pods: recovered
    ? []
    : [
        {
          name: 'web-abc-1',
          failure: {
            reason: 'CrashLoopBackOff',
            container: 'web',
            restarts,
            lastTerminated: { reason: 'Error', exitCode: 2 },
          },
          ...(createdAt === undefined ? {} : { createdAt }),
        },
      ],
});

interface Sent {
  kind: 'post' | 'update';
  channel: string;
  text: string;
  thread?: string;
  blocks: unknown[];
}

/**
 * `rollout`: a change of web was made from a thread; `{ at }` says when it began (marks written before they said so
 * have no time).
 */
function harness(
  options: {
    pace?: Partial<Record<PaceLane, number>>;
    slackError?: string;
    rollout?: boolean | { at: number };
  } = {},
) {
  let record: AlertRecord | undefined;
  const sent: Sent[] = [];
  /** Each budget taken (lane and channel), and each read of the pod's logs. */
  const taken: string[] = [];
  let logReads = 0;
  /** The wait each budget answers; tests change it. */
  const pace: Partial<Record<PaceLane, number>> = { ...options.pace };
  const logs: string[] = [];
  const clock = { t: 1_000_000 };
  const apply = (s: SubjectState): void => {
    record = observe(record, s, { cluster: 'prod', channel: 'C0ALERTS', now: clock.t, cooldownMs: 600_000 }).record;
  };
  const deps: AlertDeliveryDeps = {
    now: () => clock.t,
    store: {
      get: async () => record,
      delivered: async (_k, version, posted) => {
        if (!record) return undefined;
        record = {
          ...record,
          deliveredVersion: version,
          deliveredAt: clock.t,
          ...(posted ? { message: { channel: posted.channel, ts: posted.ts, postedAt: posted.postedAt } } : {}),
        };
        return record;
      },
      rolloutNotified: async (_k, thread) => {
        if (record) record = { ...record, rolloutNotified: thread };
      },
    },
    kube: {
      readLogs: async () => {
        logReads++;
        return { container: 'web', lines: ['DB_PASSWORD=hunter2', 'panic: boom'], truncated: false };
      },
      podEvents: async () => [
        {
          object: 'Pod/web-abc-1',
          reason: 'BackOff',
          message: 'Back-off restarting failed container',
          count: 3,
          lastSeen: '2026-11-27T12:00:00Z',
        },
      ],
    },
    slack: {
      post: async (channel, message, thread) => {
        if (options.slackError) throw Object.assign(new Error('slack'), { data: { error: options.slackError } });
        sent.push({ kind: 'post', channel, text: message.text, blocks: message.blocks, ...(thread ? { thread } : {}) });
        return `1700000000.00010${sent.length}`;
      },
      update: async (at, message) => {
        sent.push({ kind: 'update', channel: at.channel, text: message.text, blocks: message.blocks });
      },
    },
    pace: {
      take: async (lane, channel) => {
        taken.push(`${lane} ${channel}`);
        return pace[lane] ?? 0;
      },
    },
    sleep: async () => undefined,
    rollouts: {
      find: async () =>
        options.rollout
          ? {
              channel: 'C0OPS',
              ts: '1699999999.000100',
              userId: 'U0ALICE',
              description: 'deploy web to x:2 in prod',
              ...(options.rollout === true ? {} : { at: options.rollout.at }),
            }
          : undefined,
    },
    log: (level, message) => {
      logs.push(`${level} ${message}`);
    },
  };
  return { deps, sent, logs, clock, apply, taken, pace, logReads: () => logReads, record: () => record };
}

/** coxswain_alert_deliveries_total by "action outcome", and the first-post latency histogram's count and sum. */
async function deliveryMetrics(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const m of (await registry.getSingleMetric('coxswain_alert_deliveries_total')?.get())?.values ?? [])
    counts[`${String(m.labels['action'])} ${String(m.labels['outcome'])}`] = m.value;
  for (const m of (await registry.getSingleMetric('coxswain_alert_delivery_seconds')?.get())?.values ?? []) {
    const name = (m as { metricName?: string }).metricName ?? '';
    if (name.endsWith('_count') || name.endsWith('_sum')) counts[name] = m.value;
  }
  return counts;
}

describe('deliverAlert', () => {
  it('counts each message for /metrics: the post timed from first sight, the edit, the recovery, and failures', async () => {
    registry.resetMetrics();
    const h = harness();
    h.apply(state(1));
    h.clock.t += 1500;
    await deliverAlert(h.deps, key);
    h.apply(state(2));
    h.clock.t += 5000;
    await deliverAlert(h.deps, key);
    h.apply(state(0, true));
    await deliverAlert(h.deps, key);
    const refused = harness({ slackError: 'not_in_channel' });
    refused.apply(state(1));
    await deliverAlert(refused.deps, key);
    const failing = harness({ slackError: 'internal_error' });
    failing.apply(state(1));
    await deliverAlert(failing.deps, key).catch(() => undefined);
    expect(await deliveryMetrics()).toEqual({
      'post delivered': 1,
      'edit delivered': 1,
      'recovery delivered': 1,
      'post gave_up': 1,
      'post failed': 1,
      coxswain_alert_delivery_seconds_count: 1,
      coxswain_alert_delivery_seconds_sum: 1.5,
    });
  });

  it('posts a new alert with redacted logs and events, in valid blocks, then does nothing for the same version', async () => {
    const h = harness();
    h.apply(state(1));
    expect(await deliverAlert(h.deps, key)).toEqual({ kind: 'done' });
    expect(h.sent).toHaveLength(1);
    const blocks = JSON.stringify(h.sent[0]?.blocks);
    expect(blocks).toContain('panic: boom');
    expect(blocks).toContain('DB_PASSWORD=[redacted]');
    expect(blocks).toContain('Back-off restarting failed container');
    expect(validateBlocks(h.sent[0]?.blocks ?? [])).toEqual([]);
    await deliverAlert(h.deps, key);
    expect(h.sent).toHaveLength(1);
  });

  it('spaces out edits of a firing alert, so new alerts in the channel are not starved', async () => {
    const h = harness();
    h.apply(state(1));
    await deliverAlert(h.deps, key);
    h.apply(state(2));
    h.clock.t += 1000;
    expect(await deliverAlert(h.deps, key)).toEqual({ kind: 'later', afterMs: 4000 });
    h.clock.t += 4000;
    expect(await deliverAlert(h.deps, key)).toEqual({ kind: 'done' });
    expect(h.sent.map((s) => s.kind)).toEqual(['post', 'update']);
  });

  it('edits the message and says the recovery in its thread, at once', async () => {
    const h = harness();
    h.apply(state(1));
    await deliverAlert(h.deps, key);
    h.clock.t += 90_000;
    h.apply(state(0, true));
    await deliverAlert(h.deps, key);
    expect(h.sent.map((s) => [s.kind, s.thread])).toEqual([
      ['post', undefined],
      ['update', undefined],
      ['post', '1700000000.000101'],
    ]);
    expect(h.sent[2]?.text).toContain('recovered after 1 min 30 s');
  });

  it("waits for the channel's pace to post", async () => {
    const h = harness({ pace: { post: 700 } });
    h.apply(state(1));
    expect(await deliverAlert(h.deps, key)).toEqual({ kind: 'later', afterMs: 700 });
    expect(h.sent).toEqual([]);
    expect(h.taken).toEqual(['post C0ALERTS']);
  });

  it("edits on the workspace's edit budget, never the channel's posting slot, and reads no logs while it waits", async () => {
    const h = harness({ pace: { edit: 30_000 } });
    h.apply(state(1));
    await deliverAlert(h.deps, key);
    h.apply(state(2));
    h.clock.t += 5000;
    expect(await deliverAlert(h.deps, key)).toEqual({ kind: 'later', afterMs: 30_000 });
    expect(h.logReads()).toBe(1); // the first post's
    h.pace.edit = 0;
    expect(await deliverAlert(h.deps, key)).toEqual({ kind: 'done' });
    expect(h.taken).toEqual(['post C0ALERTS', 'edit C0ALERTS', 'edit C0ALERTS']);
    expect(h.sent.map((s) => s.kind)).toEqual(['post', 'update']);
  });

  it('takes the recovery budget, then the channel for the thread, and sends nothing until both allow', async () => {
    for (const lane of ['recovery', 'post'] as const) {
      const h = harness();
      h.apply(state(1));
      await deliverAlert(h.deps, key);
      h.apply(state(0, true));
      h.pace[lane] = 500;
      expect(await deliverAlert(h.deps, key)).toEqual({ kind: 'later', afterMs: 500 });
      expect(h.sent.map((s) => s.kind)).toEqual(['post']);
      h.pace[lane] = 0;
      expect(await deliverAlert(h.deps, key)).toEqual({ kind: 'done' });
      expect(h.sent.map((s) => s.kind)).toEqual(['post', 'update', 'post']);
      expect(h.taken.slice(-2)).toEqual(['recovery C0ALERTS', 'post C0ALERTS']);
    }
  });

  it('gives up on a channel the bot is not in, saying so in the log, instead of retrying forever', async () => {
    const h = harness({ slackError: 'not_in_channel' });
    h.apply(state(1));
    expect(await deliverAlert(h.deps, key)).toEqual({ kind: 'done' });
    expect(h.logs).toContain('error cannot post the alert to its channel');
    expect(h.record()?.deliveredVersion).toBe(1);
  });

  it('lets other Slack failures through, for the queue to retry', async () => {
    const h = harness({ slackError: 'internal_error' });
    h.apply(state(1));
    await expect(deliverAlert(h.deps, key)).rejects.toThrow('slack');
  });

  it('says the alert once in the thread of the rollout that changed the Deployment', async () => {
    const h = harness({ rollout: true });
    h.apply(state(1));
    await deliverAlert(h.deps, key);
    h.apply(state(5));
    h.clock.t += 10_000;
    await deliverAlert(h.deps, key);
    const notes = h.sent.filter((s) => s.thread === '1699999999.000100');
    expect(notes).toHaveLength(1);
    expect(notes[0]?.text).toContain('<@U0ALICE>');
  });

  it('tells a change of the failing pods it made (created in the second it began, or after)', async () => {
    const change = 1_000_000;
    const h = harness({ rollout: { at: change } });
    h.apply(state(1, false, Math.floor(change / 1000) * 1000)); // creationTimestamp is in whole seconds
    await deliverAlert(h.deps, key);
    expect(h.sent.filter((s) => s.thread === '1699999999.000100')).toHaveLength(1);
  });

  it('does not blame a change for pods that were failing before it: an undo that ends a crash loop', async () => {
    const h = harness({ rollout: { at: 1_000_000 + 30_000 } });
    h.apply(state(1, false, 1_000_000 - 60_000));
    await deliverAlert(h.deps, key);
    // The old pod's last restarts, seen before it is deleted, are delivered after the undo began.
    h.clock.t += 31_000;
    h.apply(state(5, false, 1_000_000 - 60_000));
    await deliverAlert(h.deps, key);
    expect(h.sent.map((s) => s.kind)).toEqual(['post', 'update']);
    expect(h.record()?.rolloutNotified).toBeUndefined();
  });
});
