import { charCount, isRecord } from '../../../src/console/in-process-slack/block-kit-rules.ts';
import type {
  Clock,
  MessageContent,
  NoticeCode,
  NoticeScope,
  SlackObserver,
} from '../../../src/console/in-process-slack/slack-types.ts';

/**
 * Machine-readable kinds of warnings, usable in `allowWarnings`: the in-process Slack's notices, and this log's own
 * checks.
 */
export type WarningCode =
  NoticeCode | 'missing_text' | 'text_too_long' | 'blocks_text_too_long' | 'button_text_truncated' | 'channel_rate';

/** Something Slack would accept but that signals a bug or a degraded experience (§7.4). */
export interface EmulatorWarning {
  readonly code: WarningCode;
  readonly message: string;
  readonly method: string;
  readonly channel?: string;
}

function sumBlockText(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + sumBlockText(item), 0);
  if (!isRecord(value)) return 0;
  let sum = 0;
  for (const [key, item] of Object.entries(value)) {
    sum += key === 'text' && typeof item === 'string' ? charCount(item) : sumBlockText(item);
  }
  return sum;
}

function longButtonTexts(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => longButtonTexts(item, found));
  if (!isRecord(value)) return found;
  const label = isRecord(value.text) ? value.text.text : undefined;
  if (value.type === 'button' && typeof label === 'string' && charCount(label) > 30) found.push(label);
  for (const item of Object.values(value)) if (typeof item === 'object') longButtonTexts(item, found);
  return found;
}

/**
 * Collects what Slack accepts but a user would notice (§7.4): the in-process Slack's notices (dubious threading, no
 * original message), missing fallback text, overlong text, truncated buttons, posting faster than 1 message per second
 * per channel. Tests assert the list is empty, allowing codes explicitly.
 */
export class WarningLog implements SlackObserver {
  readonly #entries: EmulatorWarning[] = [];
  readonly #allow: ReadonlySet<WarningCode>;
  readonly #clock: Clock;
  readonly #lastPost = new Map<string, number>();

  constructor(allow: readonly WarningCode[], clock: Clock) {
    this.#allow = new Set(allow);
    this.#clock = clock;
  }

  /** The warnings so far, oldest first. */
  get list(): EmulatorWarning[] {
    return [...this.#entries];
  }

  /** Records a warning unless its code is allowed. */
  add(code: WarningCode, message: string, scope: NoticeScope): void {
    if (this.#allow.has(code)) return;
    this.#entries.push({ code, message, ...scope });
  }

  /** A notice of the in-process Slack's, recorded as it is. */
  noticed(code: NoticeCode, message: string, scope: NoticeScope): void {
    this.add(code, message, scope);
  }

  /** Checks a message body that Slack accepted. */
  accepted(content: MessageContent, scope: NoticeScope): void {
    const hasBlocks = Array.isArray(content.blocks) && content.blocks.length > 0;
    const text = content.text ?? '';
    if (hasBlocks && text === '')
      this.add(
        'missing_text',
        'blocks sent without a top-level text (used for notifications and screen readers)',
        scope,
      );
    if (charCount(text) > 4000)
      this.add('text_too_long', `text is ${charCount(text)} characters; Slack recommends at most 4000`, scope);
    const blockText = sumBlockText(content.blocks);
    if (blockText > 12000)
      this.add(
        'blocks_text_too_long',
        `blocks carry ${blockText} text characters; above about 12000 Slack answers msg_blocks_too_long`,
        scope,
      );
    for (const label of longButtonTexts(content.blocks)) {
      this.add('button_text_truncated', `button text "${label}" is over 30 characters and will be truncated`, scope);
    }
  }

  /** Notes a post to a channel and warns when it comes within a second of the previous one (Slack's special tier). */
  posted(channel: string, method: string): void {
    const now = this.#clock.now();
    const last = this.#lastPost.get(channel);
    this.#lastPost.set(channel, now);
    if (last !== undefined && now - last < 1000) {
      this.add('channel_rate', `more than 1 message per second in ${channel} (${now - last} ms apart)`, {
        method,
        channel,
      });
    }
  }
}
