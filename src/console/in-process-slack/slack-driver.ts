import { postRaw } from './driver-http.ts';
import type { DriverResponse } from './driver-http.ts';
import { ackFromBody, clickPayload, showAck, slashCommandPayload } from './interaction-payloads.ts';
import type { AckMessage, ClickPayload, ClickTarget, CommandTarget, PayloadContext } from './interaction-payloads.ts';
import { signSlackRequest } from './slack-signature.ts';

export type { AckMessage } from './interaction-payloads.ts';

/** Slack gives up on an app after 3 seconds. */
export const SLACK_TIMEOUT_MS = 3000;

/** Knobs for one request; the defaults are what real Slack sends. Override them for negative tests. */
export interface DriverRequestOptions {
  /** Sign with this secret instead of the shared one (a wrong one must get 401). */
  readonly signingSecret?: string;
  /** `X-Slack-Request-Timestamp` in Unix seconds. Default: now, by the real clock Bolt checks against. */
  readonly timestampSec?: number;
  /** Default `application/x-www-form-urlencoded`, exactly; `…; charset=utf-8` makes Bolt answer 400. */
  readonly contentType?: string;
  /** Default 3000 ms (Slack's limit). */
  readonly timeoutMs?: number;
}

/** A slash-command invocation. */
export interface SlashCommandOptions extends CommandTarget, DriverRequestOptions {}

/** A click on a button in a message the bot stored. */
export interface ClickButtonOptions extends ClickTarget, DriverRequestOptions {}

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

/** What the driver needs from the in-process Slack. */
export interface DriverOptions extends PayloadContext {
  readonly botUrl: string;
  readonly signingSecret: string;
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
    const { fields, responseUrl, triggerId } = slashCommandPayload(this.#options, command, text, options);
    const response = await this.post(new URLSearchParams([...fields]).toString(), options);
    const ack = response.status === 200 ? ackFromBody(response.body) : undefined;
    if (ack) showAck(this.#options, ack, responseUrl, options);
    return { ...response, responseUrl, triggerId, ack };
  }

  /**
   * Clicks a button in the message as the bot stored it; throws when the message or the button is gone (deleted,
   * replaced, never posted), which is exactly the stale-UI bug a hand-built payload would hide.
   */
  async clickButton(options: ClickButtonOptions): Promise<ClickResult> {
    const { payload, responseUrl } = this.buildClick(options);
    const response = await this.sendClick(payload, options);
    return { ...response, responseUrl, payload };
  }

  /**
   * Builds the `block_actions` payload of a click (with the same checks as clickButton) without sending it: send it
   * later with sendClick to play a click on stale UI (the message changed meanwhile), or edit it first to play a
   * crafted one (another request id, another channel).
   */
  buildClick(target: ClickTarget): ClickPayload {
    return clickPayload(this.#options, target);
  }

  /** Signs and POSTs a `block_actions` payload, e.g. one from buildClick. */
  sendClick(payload: Record<string, unknown>, options: DriverRequestOptions = {}): Promise<DriverResponse> {
    return this.post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), options);
  }
}
