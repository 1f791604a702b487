import {
  ackFromObject,
  clickPayload,
  showAck,
  slashCommandPayload,
} from '../../../src/console/in-process-slack/interaction-payloads.ts';
import type {
  AckMessage,
  ClickTarget,
  CommandTarget,
  PayloadContext,
} from '../../../src/console/in-process-slack/interaction-payloads.ts';
import { SLACK_TIMEOUT_MS } from '../../../src/console/in-process-slack/slack-driver.ts';
import type { EnvelopeOutcome, EnvelopeType, SocketModeServer } from './socket-mode.ts';

/** Knobs for one envelope. */
export interface SocketRequestOptions {
  /** How long to wait for a connection and the ack together. Default 3000 ms (Slack's limit). */
  readonly timeoutMs?: number;
}

/** A slash command sent over Socket Mode. */
export interface SocketSlashCommandOptions extends CommandTarget, SocketRequestOptions {}

/** A button click sent over Socket Mode. */
export interface SocketClickOptions extends ClickTarget, SocketRequestOptions {}

/** The outcome of a slash command over Socket Mode. */
export interface SocketSlashCommandResult extends EnvelopeOutcome {
  readonly responseUrl: string;
  readonly triggerId: string;
  /** The slash command payload as delivered (the HTTP form's fields, as an object). */
  readonly payload: Record<string, string>;
  /** The ack payload as Slack shows it: nothing for a bare `ack()`, else an ephemeral or in-channel message. */
  readonly ack: AckMessage | undefined;
}

/** The outcome of a click over Socket Mode. */
export interface SocketClickResult extends EnvelopeOutcome {
  readonly responseUrl: string;
  readonly payload: Record<string, unknown>;
}

/**
 * The Slack side of a Socket Mode conversation: the same slash command and `block_actions` payloads as the HTTP
 * driver builds, sent as envelopes to the connected client, with the ack measured against Slack's 3-second limit.
 */
export class SocketDriver {
  readonly #context: PayloadContext;
  readonly #server: SocketModeServer;

  constructor(context: PayloadContext, server: SocketModeServer) {
    this.#context = context;
    this.#server = server;
  }

  /** Sends a raw envelope payload of any type (e.g. a hand-built `events_api` one). */
  send(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    options: SocketRequestOptions = {},
  ): Promise<EnvelopeOutcome> {
    return this.#server.send(type, payload, options.timeoutMs ?? SLACK_TIMEOUT_MS);
  }

  /** Sends `/command text` as `user` in `channel` as a `slash_commands` envelope and renders the ack. */
  async slashCommand(
    command: string,
    text: string,
    options: SocketSlashCommandOptions,
  ): Promise<SocketSlashCommandResult> {
    const { fields, responseUrl, triggerId } = slashCommandPayload(this.#context, command, text, options);
    const payload = Object.fromEntries(fields);
    const outcome = await this.send('slash_commands', payload, options);
    const ack =
      outcome.ackPayload === undefined || Object.keys(outcome.ackPayload).length === 0
        ? undefined
        : ackFromObject(outcome.ackPayload);
    if (ack) showAck(this.#context, ack, responseUrl, options);
    return { ...outcome, responseUrl, triggerId, payload, ack };
  }

  /**
   * Clicks a button in the message as the bot stored it (see `SlackDriver.clickButton`), as an `interactive` envelope.
   */
  async clickButton(options: SocketClickOptions): Promise<SocketClickResult> {
    const { payload, responseUrl } = clickPayload(this.#context, options);
    const outcome = await this.send('interactive', payload, options);
    return { ...outcome, responseUrl, payload };
  }
}
