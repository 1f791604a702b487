import { randomBytes } from 'node:crypto';
import { isRecord } from './block-kit-rules.ts';
import { validateBlocks } from './block-kit-validator.ts';
import type { EmulatorClock } from './emulator-clock.ts';
import type { EphemeralMessage, StoredMessage } from './emulator-types.ts';
import { postRaw } from './driver-http.ts';
import type { DriverResponse } from './driver-http.ts';
import type { HookSource, ResponseUrls } from './response-urls.ts';
import { signSlackRequest } from './slack-signature.ts';
import type { WarningLog } from './warning-log.ts';
import type { Workspace } from './workspace.ts';

/** Slack gives up on an app after 3 seconds. */
export const SLACK_TIMEOUT_MS = 3000;

/** Knobs for one request; the defaults are what real Slack sends. Override them for negative tests. */
export interface DriverRequestOptions {
  /** Sign with this secret instead of the emulator's (a wrong one must get 401). */
  readonly signingSecret?: string;
  /** `X-Slack-Request-Timestamp` in Unix seconds. Default: now, by the real clock Bolt checks against. */
  readonly timestampSec?: number;
  /** Default `application/x-www-form-urlencoded`, exactly; `…; charset=utf-8` makes Bolt answer 400. */
  readonly contentType?: string;
  /** Default 3000 ms (Slack's limit). */
  readonly timeoutMs?: number;
}

/** A slash-command invocation. */
export interface SlashCommandOptions extends DriverRequestOptions {
  readonly user: string;
  readonly channel: string;
}

/** A click on a button in a message the bot stored. */
export interface ClickButtonOptions extends DriverRequestOptions {
  readonly channel: string;
  readonly ts: string;
  readonly actionId: string;
  readonly user: string;
  /** Disambiguates when several blocks carry the same action_id. */
  readonly blockId?: string;
  /** The message is an ephemeral one shown to `user` (posted via chat.postEphemeral or respond()). */
  readonly ephemeral?: boolean;
}

/** What the user sees from the ack body, as Slack renders it. */
export interface AckMessage {
  readonly visibility: 'ephemeral' | 'in_channel';
  readonly text: string;
  readonly blocks?: unknown[];
  /** Block Kit errors in the ack body; Slack would show an error instead of the message. */
  readonly errors: string[];
}

/** The outcome of a slash command. */
export interface SlashCommandResult extends DriverResponse {
  readonly responseUrl: string;
  readonly triggerId: string;
  readonly ack: AckMessage | undefined;
}

/** The outcome of a button click. */
export interface ClickResult extends DriverResponse {
  readonly responseUrl: string;
  readonly payload: Record<string, unknown>;
}

/** What the driver needs from the emulator. */
export interface DriverOptions {
  readonly botUrl: string;
  readonly signingSecret: string;
  readonly workspace: Workspace;
  readonly responseUrls: ResponseUrls;
  readonly clock: EmulatorClock;
  readonly warnings: WarningLog;
  readonly appId: string;
}

interface FoundButton {
  readonly blockId: string;
  readonly button: Record<string, unknown>;
}

function buttonsIn(blocks: unknown[] | undefined): FoundButton[] {
  const found: FoundButton[] = [];
  for (const block of blocks ?? []) {
    if (!isRecord(block)) continue;
    const blockId = typeof block.block_id === 'string' ? block.block_id : '';
    const candidates = Array.isArray(block.elements) ? [...block.elements as unknown[], block.accessory] : [block.accessory];
    for (const element of candidates) if (isRecord(element) && element.type === 'button') found.push({ blockId, button: element });
  }
  return found;
}

function buttonAction({ button, blockId }: FoundButton, clock: EmulatorClock): Record<string, unknown> {
  return {
    type: 'button',
    action_id: button.action_id,
    block_id: blockId,
    ...(button.value === undefined ? {} : { value: button.value }),
    text: button.text,
    ...(button.style === undefined ? {} : { style: button.style }),
    action_ts: (clock.now() / 1000).toFixed(6),
  };
}

function wireMessage(stored: StoredMessage | EphemeralMessage): Partial<StoredMessage> {
  const copy: Partial<StoredMessage> = structuredClone(stored);
  delete copy.channel;
  return copy;
}

function triggerId(): string {
  const digits = (): number => Math.floor(Math.random() * 9e11) + 1e11;
  return `${digits()}.${digits()}.${randomBytes(16).toString('hex')}`;
}

function parseAck(body: string): AckMessage | undefined {
  if (body.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { visibility: 'ephemeral', text: body, errors: [] };
  }
  if (!isRecord(parsed)) return { visibility: 'ephemeral', text: body, errors: [] };
  const blocks = Array.isArray(parsed.blocks) ? parsed.blocks as unknown[] : undefined;
  return {
    visibility: parsed.response_type === 'in_channel' ? 'in_channel' : 'ephemeral',
    text: typeof parsed.text === 'string' ? parsed.text : '',
    ...(blocks === undefined ? {} : { blocks }),
    errors: blocks === undefined ? [] : validateBlocks(blocks),
  };
}

/**
 * The Slack side of the conversation (§7.5): signs and POSTs slash commands and `block_actions` to the bot exactly
 * as Slack does, with fresh response_urls, and measures the ack against Slack's 3-second limit.
 */
export class SlackDriver {
  readonly #options: DriverOptions;
  /** Every answer the bot gave this driver, oldest first. */
  readonly history: DriverResponse[] = [];

  constructor(options: DriverOptions) {
    this.#options = options;
  }

  /** Signs and POSTs a raw body; `contentType` defaults to Slack's bare form type. */
  async post(body: string, options: DriverRequestOptions = {}): Promise<DriverResponse> {
    const timestamp = options.timestampSec ?? Math.floor(Date.now() / 1000);
    const signingSecret = options.signingSecret ?? this.#options.signingSecret;
    const response = await postRaw({
      url: this.#options.botUrl,
      body,
      timeoutMs: options.timeoutMs ?? SLACK_TIMEOUT_MS,
      headers: {
        'Content-Type': options.contentType ?? 'application/x-www-form-urlencoded',
        'X-Slack-Request-Timestamp': String(timestamp),
        'X-Slack-Signature': signSlackRequest({ signingSecret, timestamp, body }),
        'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
        Accept: 'application/json,*/*',
        'Accept-Encoding': 'gzip,deflate',
      },
    });
    this.history.push(response);
    return response;
  }

  /** Sends `/command text` as `user` in `channel`, with Slack's fields in Slack's order (§2.1). */
  async slashCommand(command: string, text: string, options: SlashCommandOptions): Promise<SlashCommandResult> {
    const { workspace, responseUrls } = this.#options;
    const channel = workspace.channels.get(options.channel);
    const responseUrl = responseUrls.issue('commands', { user: options.user, channel: options.channel });
    const trigger = triggerId();
    const body = new URLSearchParams([
      ['token', 'emulated-verification-token'],
      ['team_id', workspace.teamId],
      ['team_domain', workspace.teamDomain],
      ['channel_id', options.channel],
      ['channel_name', channel?.isIm === true ? 'directmessage' : (channel?.name ?? options.channel)],
      ['user_id', options.user],
      ['user_name', workspace.users.get(options.user)?.name ?? options.user],
      ['command', command],
      ['text', text],
      ['api_app_id', this.#options.appId],
      ['is_enterprise_install', 'false'],
      ['response_url', responseUrl],
      ['trigger_id', trigger],
    ]).toString();
    const response = await this.post(body, options);
    const ack = response.status === 200 ? parseAck(response.body) : undefined;
    if (ack) this.#showAck(ack, responseUrl, options);
    return { ...response, responseUrl, triggerId: trigger, ack };
  }

  /**
   * Clicks a button in the message as the bot stored it; throws when the message or the button is gone (deleted,
   * replaced, never posted), which is exactly the stale-UI bug a hand-built payload would hide.
   */
  async clickButton(options: ClickButtonOptions): Promise<ClickResult> {
    const { workspace, responseUrls } = this.#options;
    this.#assertCanSee(options);
    const source = this.#findSource(options);
    const blocks = source.kind === 'channel' ? workspace.message(source.channel, source.ts)?.blocks : source.message.blocks;
    const match = this.#findButton(blocks, options);
    const responseUrl = responseUrls.issue('actions', { user: options.user, channel: options.channel, source });
    const payload = this.#blockActions(source, match, { ...options, responseUrl });
    const response = await this.post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), options);
    return { ...response, responseUrl, payload };
  }

  #showAck(ack: AckMessage, responseUrl: string, options: SlashCommandOptions): void {
    const { workspace, responseUrls, warnings } = this.#options;
    const content = { text: ack.text, ...(ack.blocks === undefined ? {} : { blocks: ack.blocks }) };
    if (ack.errors.length > 0) return;
    warnings.checkContent(content, { method: 'ack', channel: options.channel });
    if (ack.visibility === 'in_channel') {
      const message = workspace.post(options.channel, content, { user: workspace.bot.userId, botId: workspace.bot.botId, appId: workspace.bot.appId });
      responseUrls.setSource(responseUrl, { kind: 'channel', channel: options.channel, ts: message.ts });
      return;
    }
    const message = workspace.addEphemeral({ channel: options.channel, user: options.user, ...content, via: 'ack' });
    responseUrls.setSource(responseUrl, { kind: 'ephemeral', message });
  }

  #assertCanSee(options: ClickButtonOptions): void {
    const channel = this.#options.workspace.channels.get(options.channel);
    if (!channel) throw new Error(`clickButton: channel ${options.channel} does not exist`);
    if (!channel.members.has(options.user)) throw new Error(`clickButton: ${options.user} is not a member of ${options.channel} and cannot see its messages`);
  }

  #findSource(options: ClickButtonOptions): HookSource {
    const { workspace } = this.#options;
    if (options.ephemeral === true) {
      const message = workspace.ephemeral(options.user, options.channel, options.ts);
      if (!message) throw new Error(`clickButton: no ephemeral message ${options.ts} for ${options.user} in ${options.channel}`);
      return { kind: 'ephemeral', message };
    }
    if (!workspace.message(options.channel, options.ts)) {
      throw new Error(`clickButton: no message ${options.ts} in ${options.channel} (never posted, or deleted)`);
    }
    return { kind: 'channel', channel: options.channel, ts: options.ts };
  }

  #findButton(blocks: unknown[] | undefined, options: ClickButtonOptions): FoundButton {
    const buttons = buttonsIn(blocks);
    const match = buttons.find((b) => b.button.action_id === options.actionId && (options.blockId === undefined || b.blockId === options.blockId));
    if (match) return match;
    const present = buttons.map((b) => String(b.button.action_id)).join(', ') || 'no buttons';
    throw new Error(`clickButton: message ${options.ts} in ${options.channel} has no button "${options.actionId}" (it has: ${present}); was it replaced?`);
  }

  #blockActions(source: HookSource, found: FoundButton, options: ClickButtonOptions & { responseUrl: string }): Record<string, unknown> {
    const { workspace, clock, appId } = this.#options;
    const user = workspace.users.get(options.user);
    const channel = workspace.channels.get(options.channel);
    const stored: StoredMessage | EphemeralMessage | undefined = source.kind === 'channel' ? workspace.message(source.channel, source.ts) : source.message;
    const threadTs = stored?.thread_ts !== undefined && stored.thread_ts !== stored.ts ? { thread_ts: stored.thread_ts } : {};
    return {
      type: 'block_actions',
      user: { id: options.user, username: user?.name ?? options.user, name: user?.name ?? options.user, team_id: workspace.teamId },
      api_app_id: appId,
      token: 'emulated-verification-token',
      container: { type: 'message', message_ts: options.ts, channel_id: options.channel, is_ephemeral: source.kind === 'ephemeral', ...threadTs },
      trigger_id: triggerId(),
      team: { id: workspace.teamId, domain: workspace.teamDomain },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: options.channel, name: channel?.isIm === true ? 'directmessage' : (channel?.name ?? options.channel) },
      ...(source.kind === 'channel' && stored ? { message: wireMessage(stored) } : {}),
      state: { values: {} },
      response_url: options.responseUrl,
      actions: [buttonAction(found, clock)],
    };
  }
}
