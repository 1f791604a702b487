// The Web API calls of alert delivery, and the start-up check that the bot is
// in every channel alerts are routed to.
import type { WebClient } from '@slack/web-api';
import type { Log } from '../log/create-logger.ts';
import type { AlertSlack } from '../alerts/deliver-alert.ts';
import { slackErrorCode } from '../errors.ts';

/** Alert delivery's Slack calls over a WebClient (which honours Retry-After on 429). */
export function createAlertSlack(client: WebClient): AlertSlack {
  return {
    post: async (channel, message, threadTs) => {
      const attachments = 'attachments' in message ? message.attachments : undefined;
      const posted = await client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks,
        ...(attachments ? { attachments } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      return String(posted.ts);
    },
    update: async (at, message) => {
      await client.chat.update({
        channel: at.channel,
        ts: at.ts,
        text: message.text,
        blocks: message.blocks,
        attachments: message.attachments,
      });
    },
  };
}

/**
 * Says, once per channel, which routed channels the bot cannot post to. Never
 * throws: a missing channel must not stop the watcher, only be told.
 */
export async function checkAlertChannels(client: WebClient, channels: readonly string[], log: Log): Promise<string[]> {
  const missing: string[] = [];
  for (const channel of channels) {
    const problem = await client.conversations.info({ channel }).then(
      (info) => (info.channel?.is_member === false ? 'the bot is not a member' : undefined),
      (error: unknown) => `Slack answered ${slackErrorCode(error) ?? String(error)}`,
    );
    if (!problem) continue;
    missing.push(channel);
    log('error', 'alerts cannot be posted to a routed channel', {
      channel,
      problem,
      hint: 'invite the bot (/invite @Coxswain) or fix alerts.routes in the policy',
    });
  }
  return missing;
}
