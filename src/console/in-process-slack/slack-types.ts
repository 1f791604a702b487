import type { IncomingHttpHeaders } from 'node:http';

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

/** One request the bot made (Web API method, or `response_url` for hook posts), as the emulator saw and answered it. */
export interface RecordedCall {
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly token: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly status: number;
  readonly result: ApiResult;
  /** Emulator clock time (ms) when the call was answered. */
  readonly time: number;
  /** Set when a scripted fault answered instead of the method. */
  readonly fault?: Fault;
}

/** A scripted failure for the next call of a method (§7.6). */
export type Fault =
  | { readonly status: 429; readonly retryAfter: number }
  | { readonly ok: false; readonly error: string }
  | { readonly status: number; readonly body?: string }
  | { readonly dropConnection: true };

/** Something Slack would accept but that signals a bug or a degraded experience (§7.4). */
export interface EmulatorWarning {
  readonly code: WarningCode;
  readonly message: string;
  readonly method: string;
  readonly channel?: string;
}

/** Machine-readable kinds of warnings, usable in `allowWarnings`. */
export type WarningCode =
  | 'missing_text'
  | 'text_too_long'
  | 'blocks_text_too_long'
  | 'button_text_truncated'
  | 'channel_rate'
  | 'thread_parent_unknown'
  | 'thread_ts_is_reply'
  | 'thread_ts_not_string'
  | 'no_original_message';
