import { randomBytes } from 'node:crypto';
import { isRecord } from './block-kit-rules.ts';
import { validateBlocks } from './block-kit-validator.ts';
import type { Clock, EphemeralMessage, SlackObserver, StoredMessage } from './slack-types.ts';
import type { HookSource, ResponseUrls } from './response-urls.ts';
import type { Workspace } from './workspace.ts';

/**
 * What a driver needs to build Slack's payloads. The console's HTTP driver and the tests' Socket Mode driver share
 * them, so a command or a click looks the same whichever transport carries it.
 */
export interface PayloadContext {
  readonly workspace: Workspace;
  readonly responseUrls: ResponseUrls;
  readonly clock: Clock;
  readonly observer: SlackObserver;
  readonly appId: string;
}

/** Who runs a slash command, and where. */
export interface CommandTarget {
  readonly user: string;
  readonly channel: string;
}

/** A click on a button in a message the bot stored. */
export interface ClickTarget {
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

/** A slash command's fields in Slack's order, with the response_url and trigger_id issued for it. */
export interface SlashCommandPayload {
  readonly fields: ReadonlyArray<[string, string]>;
  readonly responseUrl: string;
  readonly triggerId: string;
}

/** A `block_actions` payload and the response_url issued for it. */
export interface ClickPayload {
  readonly payload: Record<string, unknown>;
  readonly responseUrl: string;
}

interface FoundButton {
  readonly blockId: string;
  readonly button: Record<string, unknown>;
}

/** A fresh trigger_id in Slack's shape. */
export function triggerId(): string {
  const digits = (): number => Math.floor(Math.random() * 9e11) + 1e11;
  return `${digits()}.${digits()}.${randomBytes(16).toString('hex')}`;
}

/**
 * Builds `/command text` as `user` in `channel` with Slack's fields in Slack's order (§2.1) and a fresh response_url.
 */
export function slashCommandPayload(
  context: PayloadContext,
  command: string,
  text: string,
  target: CommandTarget,
): SlashCommandPayload {
  const { workspace, responseUrls, appId } = context;
  const channel = workspace.channels.get(target.channel);
  const responseUrl = responseUrls.issue('commands', { user: target.user, channel: target.channel });
  const trigger = triggerId();
  const fields: Array<[string, string]> = [
    ['token', 'emulated-verification-token'],
    ['team_id', workspace.users.get(target.user)?.teamId ?? workspace.teamId],
    ['team_domain', workspace.teamDomain],
    ['channel_id', target.channel],
    ['channel_name', channel?.isIm === true ? 'directmessage' : (channel?.name ?? target.channel)],
    ['user_id', target.user],
    ['user_name', workspace.users.get(target.user)?.name ?? target.user],
    ['command', command],
    ['text', text],
    ['api_app_id', appId],
    ['is_enterprise_install', 'false'],
    ['response_url', responseUrl],
    ['trigger_id', trigger],
  ];
  return { fields, responseUrl, triggerId: trigger };
}

/**
 * Builds the `block_actions` payload for a click on a button in the message as the bot stored it; throws when the
 * message or the button is gone (deleted, replaced, never posted) or the user cannot see it, which is exactly the
 * stale-UI bug a hand-built payload would hide.
 */
export function clickPayload(context: PayloadContext, target: ClickTarget): ClickPayload {
  const { workspace, responseUrls } = context;
  assertCanSee(workspace, target);
  const source = findSource(workspace, target);
  const stored = source.kind === 'channel' ? workspace.message(source.channel, source.ts) : source.message;
  const match = findButton(stored?.blocks, target);
  const responseUrl = responseUrls.issue('actions', { user: target.user, channel: target.channel, source });
  return { payload: blockActions(context, { source, stored, found: match, responseUrl }, target), responseUrl };
}

/**
 * Renders an HTTP ack body as Slack would: empty shows nothing, JSON becomes a message, plain text an ephemeral one.
 */
export function ackFromBody(body: string): AckMessage | undefined {
  if (body.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { visibility: 'ephemeral', text: body, errors: [] };
  }
  return isRecord(parsed) ? ackFromObject(parsed) : { visibility: 'ephemeral', text: body, errors: [] };
}

/** Renders an ack message object (`text`, `blocks`, `response_type`) as Slack would. */
export function ackFromObject(parsed: Record<string, unknown>): AckMessage {
  const blocks = Array.isArray(parsed.blocks) ? (parsed.blocks as unknown[]) : undefined;
  return {
    visibility: parsed.response_type === 'in_channel' ? 'in_channel' : 'ephemeral',
    text: typeof parsed.text === 'string' ? parsed.text : '',
    ...(blocks === undefined ? {} : { blocks }),
    errors: blocks === undefined ? [] : validateBlocks(blocks),
  };
}

/**
 * Shows a command's ack to the user (ephemeral) or the channel (`in_channel`), and makes it the message the
 * command's response_url replaces; an ack with Block Kit errors shows nothing, as Slack shows an error instead.
 */
export function showAck(context: PayloadContext, ack: AckMessage, responseUrl: string, target: CommandTarget): void {
  const { workspace, responseUrls, observer } = context;
  const content = { text: ack.text, ...(ack.blocks === undefined ? {} : { blocks: ack.blocks }) };
  if (ack.errors.length > 0) return;
  observer.accepted(content, { method: 'ack', channel: target.channel });
  if (ack.visibility === 'in_channel') {
    const message = workspace.post(target.channel, content, {
      user: workspace.bot.userId,
      botId: workspace.bot.botId,
      appId: workspace.bot.appId,
    });
    responseUrls.setSource(responseUrl, { kind: 'channel', channel: target.channel, ts: message.ts });
    return;
  }
  const message = workspace.addEphemeral({ channel: target.channel, user: target.user, ...content, via: 'ack' });
  responseUrls.setSource(responseUrl, { kind: 'ephemeral', message });
}

function buttonsIn(blocks: unknown[] | undefined): FoundButton[] {
  const found: FoundButton[] = [];
  for (const block of blocks ?? []) {
    if (!isRecord(block)) continue;
    const blockId = typeof block.block_id === 'string' ? block.block_id : '';
    const candidates = Array.isArray(block.elements)
      ? [...(block.elements as unknown[]), block.accessory]
      : [block.accessory];
    for (const element of candidates)
      if (isRecord(element) && element.type === 'button') found.push({ blockId, button: element });
  }
  return found;
}

function buttonAction({ button, blockId }: FoundButton, clock: Clock): Record<string, unknown> {
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

function assertCanSee(workspace: Workspace, target: ClickTarget): void {
  const channel = workspace.channels.get(target.channel);
  if (!channel) throw new Error(`clickButton: channel ${target.channel} does not exist`);
  if (!channel.members.has(target.user))
    throw new Error(`clickButton: ${target.user} is not a member of ${target.channel} and cannot see its messages`);
}

function findSource(workspace: Workspace, target: ClickTarget): HookSource {
  if (target.ephemeral === true) {
    const message = workspace.ephemeral(target.user, target.channel, target.ts);
    if (!message)
      throw new Error(`clickButton: no ephemeral message ${target.ts} for ${target.user} in ${target.channel}`);
    return { kind: 'ephemeral', message };
  }
  if (!workspace.message(target.channel, target.ts)) {
    throw new Error(`clickButton: no message ${target.ts} in ${target.channel} (never posted, or deleted)`);
  }
  return { kind: 'channel', channel: target.channel, ts: target.ts };
}

function findButton(blocks: unknown[] | undefined, target: ClickTarget): FoundButton {
  const buttons = buttonsIn(blocks);
  const match = buttons.find(
    (b) => b.button.action_id === target.actionId && (target.blockId === undefined || b.blockId === target.blockId),
  );
  if (match) return match;
  const present = buttons.map((b) => String(b.button.action_id)).join(', ') || 'no buttons';
  throw new Error(
    `clickButton: message ${target.ts} in ${target.channel} has no button "${target.actionId}" (it has: ${present}); was it replaced?`,
  );
}

interface ClickSource {
  readonly source: HookSource;
  readonly stored: StoredMessage | EphemeralMessage | undefined;
  readonly found: FoundButton;
  readonly responseUrl: string;
}

/** The clicker as Slack names them: a Slack Connect guest's `team_id` is their own workspace. */
function clickUser(workspace: Workspace, id: string): Record<string, string> {
  const user = workspace.users.get(id);
  return { id, username: user?.name ?? id, name: user?.name ?? id, team_id: user?.teamId ?? workspace.teamId };
}

function blockActions(context: PayloadContext, click: ClickSource, target: ClickTarget): Record<string, unknown> {
  const { workspace, clock, appId } = context;
  const { source, stored } = click;
  const channel = workspace.channels.get(target.channel);
  const threadTs =
    stored?.thread_ts !== undefined && stored.thread_ts !== stored.ts ? { thread_ts: stored.thread_ts } : {};
  return {
    type: 'block_actions',
    user: clickUser(workspace, target.user),
    api_app_id: appId,
    token: 'emulated-verification-token',
    container: {
      type: 'message',
      message_ts: target.ts,
      channel_id: target.channel,
      is_ephemeral: source.kind === 'ephemeral',
      ...threadTs,
    },
    trigger_id: triggerId(),
    team: { id: workspace.teamId, domain: workspace.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: target.channel, name: channel?.isIm === true ? 'directmessage' : (channel?.name ?? target.channel) },
    ...(source.kind === 'channel' && stored ? { message: wireMessage(stored) } : {}),
    state: { values: {} },
    response_url: click.responseUrl,
    actions: [buttonAction(click.found, clock)],
  };
}
