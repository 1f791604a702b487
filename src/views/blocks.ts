// Small builders for the few block types views use, so every renderer produces the same shapes and the size
// accounting in boundMessage knows where text lives.
import type { ContextBlock, DividerBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import { charCount, slackLimits } from './slack-limits.ts';

/** A mrkdwn section; callers pass text already escaped and within the section limit. */
export function section(mrkdwn: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: mrkdwn } };
}

/** A header; plain_text needs no escaping, only the 150-character cut Slack enforces. */
export function header(plain: string): HeaderBlock {
  const chars = Array.from(plain.replace(/\s+/g, ' ').trim());
  const text =
    chars.length <= slackLimits.headerText ? chars.join('') : `${chars.slice(0, slackLimits.headerText - 1).join('')}…`;
  return { type: 'header', text: { type: 'plain_text', text: text === '' ? ' ' : text, emoji: true } };
}

/** Small grey mrkdwn lines: job ids, "… N more not shown" notes, things people need only sometimes. */
export function context(...mrkdwn: string[]): ContextBlock {
  return {
    type: 'context',
    elements: mrkdwn.slice(0, slackLimits.contextElements).map((text) => ({ type: 'mrkdwn', text })),
  };
}

/** A divider between the parts of a longer result. */
export function divider(): DividerBlock {
  return { type: 'divider' };
}

function textObjectLength(value: unknown): number {
  if (typeof value !== 'object' || value === null || !('text' in value)) return 0;
  return typeof value.text === 'string' ? charCount(value.text) : 0;
}

/** Text characters in one block as counted against Slack's total; only the block types above carry text here. */
export function blockTextLength(block: KnownBlock): number {
  if (block.type === 'section') {
    return textObjectLength(block.text) + (block.fields ?? []).reduce((sum, field) => sum + textObjectLength(field), 0);
  }
  if (block.type === 'header') return textObjectLength(block.text);
  if (block.type === 'context') return block.elements.reduce((sum, element) => sum + textObjectLength(element), 0);
  return 0;
}
