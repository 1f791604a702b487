import type { IncomingHttpHeaders, ServerResponse } from 'node:http';

/** A workspace member; `isBot` marks the app's own bot user. */
export interface UserSeed {
  readonly id: string;
  readonly name: string;
  /**
   * A Slack Connect guest's own workspace (T…): their commands carry it as `team_id` and their clicks as
   * `user.team_id`, as a person of another organization typing in a shared channel. Default: the workspace's.
   */
  readonly teamId?: string;
  readonly realName?: string;
  readonly isBot?: boolean;
  readonly isAdmin?: boolean;
  readonly email?: string;
  readonly deleted?: boolean;
}

/** A conversation; `members` decides `not_in_channel` for the bot and `user_not_in_channel` for ephemerals. */
export interface ChannelSeed {
  readonly id: string;
  readonly name: string;
  readonly members?: readonly string[];
  readonly isPrivate?: boolean;
  readonly isArchived?: boolean;
  readonly isIm?: boolean;
}

/** A user group (`S…`), looked up by `usergroups.users.list`. */
export interface UsergroupSeed {
  readonly id: string;
  readonly handle: string;
  readonly users: readonly string[];
}

/** What Slack stores for a channel message and hands back in `message` fields and interaction payloads. */
export interface StoredMessage {
  type: 'message';
  channel: string;
  ts: string;
  user: string;
  bot_id?: string;
  app_id?: string;
  team: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  thread_ts?: string;
  parent_user_id?: string;
  reply_count?: number;
  reply_users?: string[];
  latest_reply?: string;
  reply_broadcast?: boolean;
  edited?: { user: string; ts: string };
}

/** Where an ephemeral message came from, so tests can tell `respond()` from `chat.postEphemeral`. */
export type EphemeralSource = 'chat.postEphemeral' | 'response_url' | 'ack';

/** An ephemeral message: visible to one user, never in channel history, only replaceable through response_url. */
export interface EphemeralMessage {
  channel: string;
  user: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  thread_ts?: string;
  via: EphemeralSource;
}

/** The content fields shared by chat.postMessage, chat.update and response_url bodies. */
export interface MessageContent {
  text?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
}

/** A Web API answer body: Slack always says `ok`, and `error` when it is false. */
export interface ApiResult {
  ok: boolean;
  error?: string;
  ts?: string;
  /** A channel ID for chat.* methods; a channel object for conversations.*. */
  channel?: string | Record<string, unknown>;
  message?: StoredMessage;
  [key: string]: unknown;
}

/**
 * One request the bot made (Web API method, or `response_url` for hook posts), as the in-process Slack saw and answered
 * it.
 */
export interface RecordedCall<F = unknown> {
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly token: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly status: number;
  readonly result: ApiResult;
  /** Clock time (ms) when the call was answered. */
  readonly time: number;
  /** Set when an interceptor answered instead of the method: what it answered with. The console has no interceptor. */
  readonly fault?: F;
}

/** Where time comes from: message timestamps and response_url expiry. Default: the wall clock. */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
}

/**
 * Things Slack accepts but that signal a bug: a `thread_ts` that is unknown, a reply or not a string; no original
 * message.
 */
export type NoticeCode =
  'thread_parent_unknown' | 'thread_ts_is_reply' | 'thread_ts_not_string' | 'no_original_message';

/** Where a message went. */
export interface NoticeScope {
  readonly method: string;
  readonly channel?: string;
}

/**
 * Told what Slack accepted, so a caller can judge it as a user would (Slack's own warnings are not on the wire). The
 * console tells nobody; the tests' emulator turns these into warnings (test/support/slack-emulator/warning-log.ts).
 */
export interface SlackObserver {
  /** Something odd that Slack lets through. */
  noticed(code: NoticeCode, message: string, scope: NoticeScope): void;
  /** A message body Slack accepted (posted, updated, shown ephemerally or as an ack). */
  accepted(content: MessageContent, scope: NoticeScope): void;
  /** A new message in a channel (chat.postMessage, or an in_channel response_url post). */
  posted(channel: string, method: string): void;
}

/** A parsed request, before its method (or `response_url`) runs. */
export interface InterceptedCall {
  /** The Web API method, or `response_url` for hook posts. */
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** An answer given instead of the method: recorded with `fault`, then written by `reply`. */
export interface Interception<F> {
  readonly status: number;
  readonly result: ApiResult;
  readonly fault: F;
  /** Writes the answer, or drops the connection. */
  readonly reply: (res: ServerResponse) => void;
}

/**
 * Runs before every Web API method and response_url post and may answer instead of it. The console has none; the
 * tests' emulator answers with scripted faults and latency (test/support/slack-emulator/fault-reply.ts).
 */
export type CallInterceptor<F> = (call: InterceptedCall) => Promise<Interception<F> | undefined>;
