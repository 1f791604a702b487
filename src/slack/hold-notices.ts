// Holds (/k8s lock) said in the channel: taking one posts a message everyone
// sees, giving it up or renewing it edits that message, and breaking it edits
// it and tells the holder in its thread. The command is answered first; the
// channel messages follow (Slack's 3 s are for the ack), and a message that
// cannot be posted is logged, never fails the hold.
import type { WebClient } from '@slack/web-api';
import type { Log } from '../log/create-logger.ts';
import type { Hold, HoldStore } from '../holds/hold-store.ts';
import type { GatewayHolds } from '../registry/command-spec.ts';
import { renderHold, renderHoldBroken, type HoldChange } from '../views/render-hold.ts';

/** Gateway holds that announce themselves; `settle()` waits for the messages still being sent (on stop). */
export interface AnnouncedHolds extends GatewayHolds {
  settle(): Promise<void>;
}

/** Wraps the store so every change of a hold is said in the hold's channel. */
export function announcedHolds(store: HoldStore, client: Pick<WebClient, 'chat'>, log: Log): AnnouncedHolds {
  const pending = new Set<Promise<void>>();
  const later = (what: string, work: () => Promise<void>): void => {
    const running = work().catch((error: unknown) =>
      log('warn', `could not ${what} in Slack`, { error: error instanceof Error ? error.message : String(error) }),
    );
    pending.add(running);
    void running.finally(() => pending.delete(running));
  };
  const edit = async (hold: Hold, change: HoldChange): Promise<void> => {
    if (!hold.message) return;
    const message = renderHold(hold, change);
    await client.chat.update({
      channel: hold.message.channel,
      ts: hold.message.ts,
      text: message.text,
      blocks: message.blocks,
    });
  };
  const announce = async (hold: Hold): Promise<void> => {
    if (!hold.channel) return;
    const message = renderHold(hold, { kind: 'held' });
    const posted = await client.chat.postMessage({ channel: hold.channel, text: message.text, blocks: message.blocks });
    if (posted.ts) await store.setMessage(hold, { channel: hold.channel, ts: posted.ts });
  };
  const tellHolder = async (hold: Hold, by: string, reason: string): Promise<void> => {
    const where = hold.message ?? (hold.channel ? { channel: hold.channel, ts: undefined } : undefined);
    if (!where) return;
    const message = renderHoldBroken(hold, by, reason);
    await client.chat.postMessage({
      channel: where.channel,
      ...(where.ts ? { thread_ts: where.ts } : {}),
      text: message.text,
      blocks: message.blocks,
    });
  };
  return {
    take: async (hold) => {
      const outcome = await store.take(hold);
      if (outcome.kind === 'taken') later('announce a hold', () => announce(outcome.hold));
      if (outcome.kind === 'renewed') later('show a renewed hold', () => edit(outcome.hold, { kind: 'held' }));
      return outcome;
    },
    release: async (target, userId) => {
      const outcome = await store.release(target, userId);
      if (outcome.kind === 'released') later('show a released hold', () => edit(outcome.hold, { kind: 'released' }));
      return outcome;
    },
    break: async (target, by) => {
      const broken = await store.break(target);
      if (broken) {
        later('show a broken hold', async () => {
          await edit(broken, { kind: 'broken', by: by.userId, reason: by.reason });
          await tellHolder(broken, by.userId, by.reason);
        });
      }
      return broken;
    },
    settle: async () => {
      await Promise.all([...pending]);
    },
  };
}
