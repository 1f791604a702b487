import { fail, flagParam, stringParam } from './api-method.ts';
import type { ApiMethod, MethodContext } from './api-method.ts';
import { invalidBlocksResult, validateBlocks } from './block-kit-validator.ts';
import type { ApiResult, MessageContent } from './slack-types.ts';
import { contentError, readContent } from './message-content.ts';
import type { ChannelState } from './workspace.ts';

function botChannel(context: MethodContext): ChannelState | ApiResult {
  const ref = stringParam(context.params, 'channel');
  const channel = ref === undefined ? undefined : context.state.workspace.findChannel(ref);
  const isMember = channel?.members.has(context.identity.userId) ?? false;
  if (!channel || (channel.isPrivate && !isMember)) return fail('channel_not_found');
  if (channel.isArchived) return fail('is_archived');
  if (!isMember) return fail('not_in_channel');
  return channel;
}

function isResult(value: ChannelState | ApiResult): value is ApiResult {
  return 'ok' in value;
}

function resolveThread(context: MethodContext, channel: string): string | undefined {
  const { params, state, method } = context;
  const raw = params.thread_ts;
  if (raw === undefined || raw === '') return undefined;
  const threadTs = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : JSON.stringify(raw);
  if (!state.strict) return threadTs;
  const scope = { method, channel };
  if (typeof raw !== 'string')
    state.observer.noticed('thread_ts_not_string', `thread_ts ${threadTs} was not sent as a string`, scope);
  const parent = state.workspace.message(channel, threadTs);
  if (!parent) {
    state.observer.noticed('thread_parent_unknown', `thread_ts ${threadTs} is not a message in ${channel}`, scope);
    return threadTs;
  }
  if (parent.thread_ts === undefined || parent.thread_ts === parent.ts) return threadTs;
  state.observer.noticed(
    'thread_ts_is_reply',
    `thread_ts ${threadTs} is a reply; use its parent ${parent.thread_ts}`,
    scope,
  );
  return parent.thread_ts;
}

function postMessage(context: MethodContext): ApiResult {
  const channel = botChannel(context);
  if (isResult(channel)) return channel;
  const content = readContent(context.params);
  const invalid = contentError(content);
  if (invalid) return invalid;
  const { workspace, observer } = context.state;
  const message = workspace.post(channel.id, content, {
    user: context.identity.userId,
    botId: context.identity.botId,
    appId: context.identity.appId,
    threadTs: resolveThread(context, channel.id),
    broadcast: flagParam(context.params, 'reply_broadcast'),
  });
  observer.accepted(content, { method: context.method, channel: channel.id });
  observer.posted(channel.id, context.method);
  return { ok: true, channel: channel.id, ts: message.ts, message: structuredClone(message) };
}

function updateContentError(content: MessageContent): ApiResult | undefined {
  if (content.text === undefined && content.blocks === undefined && content.attachments === undefined)
    return fail('no_text');
  if (content.blocks === undefined) return undefined;
  if (!Array.isArray(content.blocks)) return fail('invalid_blocks_format');
  const errors = validateBlocks(content.blocks);
  return errors.length > 0 ? invalidBlocksResult(errors) : undefined;
}

/** The bot's own message named by `channel` and `ts`, or Slack's error (`denied` when another user posted it). */
export function ownMessage(context: MethodContext, denied: string): { channel: string; ts: string } | ApiResult {
  const ref = stringParam(context.params, 'channel');
  const channel = ref === undefined ? undefined : context.state.workspace.findChannel(ref);
  if (!channel) return fail('channel_not_found');
  const ts = stringParam(context.params, 'ts');
  const message = ts === undefined ? undefined : context.state.workspace.message(channel.id, ts);
  if (!message || ts === undefined) return fail('message_not_found');
  if (message.user !== context.identity.userId) return fail(denied);
  return { channel: channel.id, ts };
}

function update(context: MethodContext): ApiResult {
  const target = ownMessage(context, 'cant_update_message');
  if ('ok' in target) return target;
  const content = readContent(context.params);
  const invalid = updateContentError(content);
  if (invalid) return invalid;
  const message = context.state.workspace.update(target.channel, target.ts, content, context.identity.userId);
  if (!message) return fail('message_not_found');
  context.state.observer.accepted(content, { method: context.method, channel: target.channel });
  return { ok: true, channel: target.channel, ts: target.ts, text: message.text, message: structuredClone(message) };
}

function ephemeralRecipient(context: MethodContext, channel: ChannelState): string | ApiResult {
  const user = stringParam(context.params, 'user');
  if (user === undefined || !context.state.workspace.users.has(user)) return fail('user_not_found');
  return channel.members.has(user) ? user : fail('user_not_in_channel');
}

function postEphemeral(context: MethodContext): ApiResult {
  const channel = botChannel(context);
  if (isResult(channel)) return channel;
  const user = ephemeralRecipient(context, channel);
  if (typeof user !== 'string') return user;
  const content = readContent(context.params);
  const invalid = contentError(content);
  if (invalid) return invalid;
  const threadTs = resolveThread(context, channel.id);
  const message = context.state.workspace.addEphemeral({
    channel: channel.id,
    user,
    text: content.text ?? '',
    ...(content.blocks === undefined ? {} : { blocks: content.blocks }),
    ...(content.attachments === undefined ? {} : { attachments: content.attachments }),
    ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
    via: 'chat.postEphemeral',
  });
  context.state.observer.accepted(content, { method: context.method, channel: channel.id });
  return { ok: true, message_ts: message.ts };
}

/** The `chat.*` methods the bot calls: where Slack's posting, threading and ownership rules live. */
export const chatMethods: Readonly<Record<string, ApiMethod>> = {
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.postEphemeral': postEphemeral,
};
