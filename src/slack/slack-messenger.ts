import type { WebClient } from '@slack/web-api';
import type { Log } from '../log/create-logger.ts';
import type { JobMessenger } from '../queue/job-messenger.ts';
import type { JobPayload } from '../queue/job-payload.ts';
import { renderJobStatus } from '../views/render-job-status.ts';

/** A JobMessenger that edits the job's thread root and replies in its thread. */
export function createSlackMessenger(client: WebClient, payload: JobPayload, log: Log): JobMessenger {
  const { channel, ts } = payload.root;
  const failed =
    (what: string) =>
    (error: unknown): void => {
      log('warn', `could not ${what} in Slack`, {
        channel,
        ts,
        error: error instanceof Error ? error.message : String(error),
      });
    };
  return {
    updateRoot: async (view) => {
      const message = renderJobStatus(view);
      await client.chat
        .update({ channel, ts, text: message.text, blocks: message.blocks })
        .then(() => undefined, failed('update the thread root'));
    },
    reply: async (message) => {
      await client.chat
        .postMessage({
          channel,
          thread_ts: payload.root.threadTs ?? ts,
          text: message.text,
          blocks: message.blocks,
          unfurl_links: false,
        })
        .then(() => undefined, failed('reply in the thread'));
    },
    replyPrivately: async (message) => {
      await client.chat
        .postEphemeral({
          channel,
          user: payload.actor.userId,
          thread_ts: payload.root.threadTs ?? ts,
          text: message.text,
          blocks: message.blocks,
        })
        .then(() => undefined, failed('reply privately in the thread'));
    },
  };
}
