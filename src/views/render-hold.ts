import type { Hold } from '../holds/hold-store.ts';
import { section } from './blocks.ts';
import { boundMessage } from './bound-message.ts';
import { escapeMrkdwn, inlineCode } from './mrkdwn.ts';
import type { SlackMessage } from './slack-message.ts';

const MAX_TARGET = 200;
const MAX_REASON = 300;

/** What happened to a hold, as its channel message says it. */
export type HoldChange =
  | { readonly kind: 'held' }
  | { readonly kind: 'released' }
  | { readonly kind: 'broken'; readonly by: string; readonly reason: string };

const time = (ms: number): string =>
  `<!date^${Math.floor(ms / 1000)}^{time}|${new Date(ms).toISOString().slice(11, 16)} UTC>`;
const mention = (userId: string): string =>
  /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId, 40);
const because = (reason: string | undefined): string => (reason ? `: ${escapeMrkdwn(reason, MAX_REASON)}` : '');

/**
 * The channel message of a hold (`/k8s lock`), edited as it changes: "🔒 @bob holds prod/web until 12:02: release
 * 4.2", then "🔓 … released" or "🔓 … broken by @carol: the incident is over". Everyone in the channel sees who holds
 * what; the holder hears in its thread when someone breaks it.
 */
export function renderHold(hold: Hold, change: HoldChange): SlackMessage {
  const target = inlineCode(hold.target, MAX_TARGET);
  const line =
    change.kind === 'held'
      ? `🔒 ${mention(hold.userId)} holds ${target} until ${time(hold.until)}${because(hold.reason)}. Others' changes to it are refused until then.`
      : change.kind === 'released'
        ? `🔓 ${target} was held by ${mention(hold.userId)} (since ${time(hold.since)}${because(hold.reason)}); released.`
        : `🔓 ${target} was held by ${mention(hold.userId)} (since ${time(hold.since)}${because(hold.reason)}); broken by ${mention(change.by)}${because(change.reason)}.`;
  return boundMessage(line, [section(line)]);
}

/** The reply in a hold's thread that tells its holder someone broke it. */
export function renderHoldBroken(hold: Hold, by: string, reason: string): SlackMessage {
  const line = `${mention(hold.userId)}, your hold on ${inlineCode(hold.target, MAX_TARGET)} was broken by ${mention(by)}${because(reason)}. Changes by others are no longer refused.`;
  return boundMessage(line, [section(line)]);
}
