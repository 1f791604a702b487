import type { KnownBlock } from '@slack/types';
import { redactSecrets } from '../text/redact-secrets.ts';
import { blockTextLength, context } from './blocks.ts';
import type { SlackMessage } from './slack-message.ts';
import { charCount, slackLimits } from './slack-limits.ts';

const NOTE_RESERVE = 100;

type TextObject = { readonly type: string; readonly text: string };

const redactedText = <T extends TextObject | undefined>(o: T): T => (o ? { ...o, text: redactSecrets(o.text) } : o);

/**
 * A block with its text (section text and fields, header, context) redacted; buttons and other blocks are the bot's
 * own.
 */
function redactBlock(block: KnownBlock): KnownBlock {
  if (block.type === 'section')
    return {
      ...block,
      ...(block.text ? { text: redactedText(block.text) } : {}),
      ...(block.fields ? { fields: block.fields.map(redactedText) } : {}),
    };
  if (block.type === 'header') return { ...block, text: redactedText(block.text) };
  if (block.type === 'context')
    return {
      ...block,
      elements: block.elements.map((e) =>
        'text' in e && typeof e.text === 'string' ? { ...e, text: redactSecrets(e.text) } : e,
      ),
    };
  return block;
}

/**
 * The last guard before a message leaves views/: every text redacted (cluster text was redacted where it came in;
 * this catches whatever a renderer quoted that was not — an API error, a value someone typed), at most 50 blocks and
 * at most the total text budget, dropping trailing blocks with a note if a renderer's own budgeting ever got it
 * wrong, and a non-empty, bounded `text`. A rejected message (`invalid_blocks`, `msg_blocks_too_long`) would leave
 * the user with nothing at all.
 */
export function boundMessage(text: string, blocks: readonly KnownBlock[]): SlackMessage {
  const kept: KnownBlock[] = [];
  let used = 0;
  for (const block of blocks.map(redactBlock)) {
    const size = blockTextLength(block);
    if (kept.length >= slackLimits.blocks - 1 || used + size > slackLimits.totalText - NOTE_RESERVE) break;
    kept.push(block);
    used += size;
  }
  const dropped = blocks.length - kept.length;
  if (dropped > 0)
    kept.push(
      context(`… ${dropped} more ${dropped === 1 ? 'block' : 'blocks'} not shown (message too long for Slack)`),
    );
  return { text: fallbackText(redactSecrets(text)), blocks: kept };
}

// Renderers clip their parts before escaping; this cut is only the backstop, so it may split an entity.
function fallbackText(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'Coxswain';
  return charCount(trimmed) <= slackLimits.fallbackText
    ? trimmed
    : `${Array.from(trimmed)
        .slice(0, slackLimits.fallbackText - 1)
        .join('')}…`;
}
