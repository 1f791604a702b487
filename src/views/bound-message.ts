import type { KnownBlock } from '@slack/types';
import { blockTextLength, context } from './blocks.ts';
import type { SlackMessage } from './slack-message.ts';
import { charCount, slackLimits } from './slack-limits.ts';

const NOTE_RESERVE = 100;

/**
 * The last guard before a message leaves views/: at most 50 blocks and at most the total text budget, dropping
 * trailing blocks with a note if a renderer's own budgeting ever got it wrong, and a non-empty, bounded `text`. A
 * rejected message (`invalid_blocks`, `msg_blocks_too_long`) would leave the user with nothing at all.
 */
export function boundMessage(text: string, blocks: readonly KnownBlock[]): SlackMessage {
  const kept: KnownBlock[] = [];
  let used = 0;
  for (const block of blocks) {
    const size = blockTextLength(block);
    if (kept.length >= slackLimits.blocks - 1 || used + size > slackLimits.totalText - NOTE_RESERVE) break;
    kept.push(block);
    used += size;
  }
  const dropped = blocks.length - kept.length;
  if (dropped > 0) kept.push(context(`… ${dropped} more ${dropped === 1 ? 'block' : 'blocks'} not shown (message too long for Slack)`));
  return { text: fallbackText(text), blocks: kept };
}

// Renderers clip their parts before escaping; this cut is only the backstop, so it may split an entity.
function fallbackText(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'Coxswain';
  return charCount(trimmed) <= slackLimits.fallbackText ? trimmed : `${Array.from(trimmed).slice(0, slackLimits.fallbackText - 1).join('')}…`;
}
