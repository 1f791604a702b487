import type {
  ChannelSeed,
  Clock,
  EphemeralMessage,
  MessageContent,
  StoredMessage,
  UserSeed,
  UsergroupSeed,
} from './slack-types.ts';

/** A conversation with mutable membership. */
export interface ChannelState {
  readonly id: string;
  readonly name: string;
  readonly members: Set<string>;
  readonly isPrivate: boolean;
  readonly isArchived: boolean;
  readonly isIm: boolean;
  readonly created: number;
}

/** The identity a token stands for. */
export interface BotIdentity {
  readonly userId: string;
  readonly botId: string;
  readonly appId: string;
}

/** Seed data for {@link Workspace}. */
export interface WorkspaceOptions {
  readonly teamId: string;
  readonly teamDomain: string;
  readonly bot: BotIdentity;
  readonly users: readonly UserSeed[];
  readonly channels: readonly ChannelSeed[];
  readonly usergroups: readonly UsergroupSeed[];
  readonly clock: Clock;
}

/** Who posts a message and where in a thread it lands. */
export interface PostOptions {
  readonly user: string;
  readonly botId?: string;
  readonly appId?: string;
  readonly threadTs?: string;
  readonly broadcast?: boolean;
}

const TS_STEP = 100;

function formatTs(micros: number): string {
  return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
}

function parseTs(ts: string): number {
  const [sec = '0', frac = '0'] = ts.split('.');
  return Number(sec) * 1e6 + Number(frac.padEnd(6, '0').slice(0, 6));
}

function applyContent(target: StoredMessage | EphemeralMessage, content: MessageContent): void {
  if (content.text !== undefined) target.text = content.text;
  if (content.blocks !== undefined) target.blocks = content.blocks;
  if (content.attachments !== undefined) target.attachments = content.attachments;
}

/**
 * The emulated team's state: people, conversations, messages, threads and ephemerals. It is the single source of
 * truth that both the Web API and the driver read, so a button is clicked on the message as the bot stored it.
 */
export class Workspace {
  readonly teamId: string;
  readonly teamDomain: string;
  readonly bot: BotIdentity;
  readonly users = new Map<string, UserSeed>();
  readonly channels = new Map<string, ChannelState>();
  readonly usergroups = new Map<string, UsergroupSeed>();
  readonly #messages = new Map<string, Map<string, StoredMessage>>();
  readonly #ephemerals: EphemeralMessage[] = [];
  readonly #lastTs = new Map<string, number>();
  readonly #clock: Clock;

  constructor(options: WorkspaceOptions) {
    this.teamId = options.teamId;
    this.teamDomain = options.teamDomain;
    this.bot = options.bot;
    this.#clock = options.clock;
    for (const user of options.users) this.users.set(user.id, user);
    for (const channel of options.channels) this.addChannel(channel);
    for (const group of options.usergroups) this.usergroups.set(group.id, group);
  }

  /** Adds or replaces a conversation. */
  addChannel(seed: ChannelSeed): ChannelState {
    const state: ChannelState = {
      id: seed.id,
      name: seed.name,
      members: new Set(seed.members ?? []),
      isPrivate: seed.isPrivate ?? false,
      isArchived: seed.isArchived ?? false,
      isIm: seed.isIm ?? false,
      created: Math.floor(this.#clock.now() / 1000),
    };
    this.channels.set(seed.id, state);
    return state;
  }

  /** Resolves an ID, a `#name` or a bare name; a user ID opens (or reuses) the bot's DM with that user. */
  findChannel(ref: string): ChannelState | undefined {
    const byId = this.channels.get(ref);
    if (byId) return byId;
    const name = ref.startsWith('#') ? ref.slice(1) : ref;
    for (const channel of this.channels.values()) if (channel.name === name && !channel.isIm) return channel;
    return this.users.has(ref) ? this.openDm(ref) : undefined;
  }

  /** The bot's DM with a user, created on first use as Slack does for `chat.postMessage(channel: U…)`. */
  openDm(userId: string): ChannelState {
    const id = `D${userId.slice(1)}`;
    return (
      this.channels.get(id) ?? this.addChannel({ id, name: userId, isIm: true, members: [this.bot.userId, userId] })
    );
  }

  /** A fresh, strictly increasing `ts` for a channel, derived from the clock. */
  nextTs(channel: string): string {
    const fromClock = Math.floor(this.#clock.now() / 1000) * 1e6 + TS_STEP;
    const next = Math.max(fromClock, (this.#lastTs.get(channel) ?? 0) + TS_STEP);
    this.#lastTs.set(channel, next);
    return formatTs(next);
  }

  /** Stores a new channel message (or thread reply) and maintains the parent's reply bookkeeping. */
  post(channel: string, content: MessageContent, options: PostOptions): StoredMessage {
    const message: StoredMessage = {
      type: 'message',
      channel,
      ts: this.nextTs(channel),
      user: options.user,
      team: this.teamId,
      text: content.text ?? '',
    };
    if (options.botId !== undefined) message.bot_id = options.botId;
    if (options.appId !== undefined) message.app_id = options.appId;
    applyContent(message, content);
    if (content.metadata !== undefined) message.metadata = content.metadata;
    if (options.threadTs !== undefined) this.#attachToThread(message, options);
    this.#channelMessages(channel).set(message.ts, message);
    return message;
  }

  #attachToThread(message: StoredMessage, options: PostOptions): void {
    const threadTs = options.threadTs ?? message.ts;
    message.thread_ts = threadTs;
    if (options.broadcast === true) message.reply_broadcast = true;
    const parent = this.#channelMessages(message.channel).get(threadTs);
    if (!parent) return;
    message.parent_user_id = parent.user;
    parent.thread_ts = threadTs;
    parent.reply_count = (parent.reply_count ?? 0) + 1;
    parent.reply_users = [...new Set([...(parent.reply_users ?? []), message.user])];
    parent.latest_reply = message.ts;
  }

  /** The stored message (top-level or reply), or undefined once deleted. */
  message(channel: string, ts: string): StoredMessage | undefined {
    return this.#messages.get(channel)?.get(ts);
  }

  /** Replaces content in place, keeping `ts` and thread position, as chat.update and replace_original do. */
  update(channel: string, ts: string, content: MessageContent, editor?: string): StoredMessage | undefined {
    const message = this.message(channel, ts);
    if (!message) return undefined;
    applyContent(message, content);
    if (editor !== undefined)
      message.edited = { user: editor, ts: formatTs(Math.floor(this.#clock.now() / 1000) * 1e6) };
    return message;
  }

  /** Replaces the whole content in place, keeping `ts` (response_url `replace_original`). */
  replace(channel: string, ts: string, content: MessageContent): StoredMessage | undefined {
    const message = this.message(channel, ts);
    if (!message) return undefined;
    delete message.blocks;
    delete message.attachments;
    message.text = '';
    applyContent(message, content);
    return message;
  }

  /** Removes a message; a deleted reply also leaves its parent's reply count. */
  delete(channel: string, ts: string): boolean {
    const message = this.message(channel, ts);
    if (!message) return false;
    this.#channelMessages(channel).delete(ts);
    const parent =
      message.thread_ts !== undefined && message.thread_ts !== ts
        ? this.message(channel, message.thread_ts)
        : undefined;
    if (parent?.reply_count !== undefined) parent.reply_count -= 1;
    return true;
  }

  /** Channel history as people see it: top-level messages plus broadcast replies, oldest first. */
  history(channel: string): StoredMessage[] {
    return this.#sorted(channel).filter(
      (m) => m.thread_ts === undefined || m.thread_ts === m.ts || m.reply_broadcast === true,
    );
  }

  /** A thread as conversations.replies returns it: the parent first, then the replies, oldest first. */
  thread(channel: string, threadTs: string): StoredMessage[] {
    return this.#sorted(channel).filter((m) => m.ts === threadTs || m.thread_ts === threadTs);
  }

  /** Records an ephemeral message with a fresh `ts`. */
  addEphemeral(fields: Omit<EphemeralMessage, 'ts'>): EphemeralMessage {
    const message: EphemeralMessage = { ...fields, ts: this.nextTs(fields.channel) };
    this.#ephemerals.push(message);
    return message;
  }

  /** A user's ephemeral message by channel and ts. */
  ephemeral(user: string, channel: string, ts: string): EphemeralMessage | undefined {
    return this.#ephemerals.find((e) => e.user === user && e.channel === channel && e.ts === ts);
  }

  /** Replaces an ephemeral message's content in place (response_url `replace_original`). */
  replaceEphemeral(target: EphemeralMessage, content: MessageContent): void {
    delete target.blocks;
    delete target.attachments;
    target.text = '';
    applyContent(target, content);
  }

  /** Removes an ephemeral message (response_url `delete_original`). */
  deleteEphemeral(target: EphemeralMessage): boolean {
    const index = this.#ephemerals.indexOf(target);
    if (index >= 0) this.#ephemerals.splice(index, 1);
    return index >= 0;
  }

  /** Every ephemeral message shown to a user, oldest first. */
  ephemeralsFor(user: string): EphemeralMessage[] {
    return this.#ephemerals.filter((e) => e.user === user);
  }

  #channelMessages(channel: string): Map<string, StoredMessage> {
    let messages = this.#messages.get(channel);
    if (!messages) {
      messages = new Map();
      this.#messages.set(channel, messages);
    }
    return messages;
  }

  #sorted(channel: string): StoredMessage[] {
    return [...(this.#messages.get(channel)?.values() ?? [])].sort((a, b) => parseTs(a.ts) - parseTs(b.ts));
  }
}
