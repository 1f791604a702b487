// Shared assertions for view tests: what Slack would accept, plus the limits Slack does not check per block.
import { expect } from '@jest/globals';
import { validateBlocks } from '../../support/slack-emulator/block-kit-validator.ts';
import type { SlackMessage } from '../../../src/views/slack-message.ts';

/** Every text string in the blocks, in order. */
export function blockTexts(message: SlackMessage): string[] {
  return message.blocks.flatMap((block) => {
    if (block.type === 'section') return [block.text?.text ?? '', ...(block.fields ?? []).map((field) => field.text)];
    if (block.type === 'header') return [block.text.text];
    if (block.type === 'context') return block.elements.map((element) => ('text' in element ? element.text : ''));
    return [];
  });
}

/** All text of the blocks joined, for `toContain` checks. */
export function allText(message: SlackMessage): string {
  return blockTexts(message).join('\n');
}

/**
 * Asserts Slack would take the message: the emulator's validator finds nothing, the fallback text is there, the
 * total stays under the ~12,000 characters of `msg_blocks_too_long`, and no raw `<` survives except user and channel
 * mentions (links that notify nobody).
 */
export function expectSlackAccepts(message: SlackMessage): void {
  expect(validateBlocks(message.blocks)).toEqual([]);
  expect(message.text.trim()).not.toBe('');
  expect(message.blocks.length).toBeLessThanOrEqual(50);
  const texts = blockTexts(message);
  expect(texts.reduce((sum, text) => sum + [...text].length, 0)).toBeLessThan(12_000);
  for (const text of [...texts, message.text]) {
    expect(text.replace(/<@[UW][A-Z0-9]+>|<#[CG][A-Z0-9]+>/g, '')).not.toMatch(/[<>]/);
    expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
  }
}

/** Asserts each section with a code block has exactly one opening and one closing fence, on their own lines. */
export function expectFencesIntact(message: SlackMessage): void {
  for (const text of blockTexts(message).filter((t) => t.includes('```'))) {
    expect(text.split('```').length - 1).toBe(2);
    expect(text.startsWith('```\n')).toBe(true);
    expect(text.endsWith('\n```')).toBe(true);
  }
}
