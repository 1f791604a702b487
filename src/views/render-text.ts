import type { KnownBlock } from '@slack/types';
import { context, header, section } from './blocks.ts';
import { boundMessage } from './bound-message.ts';
import { escapeKeepingMentions } from './mrkdwn.ts';
import { packLines } from './pack-lines.ts';
import type { SlackMessage } from './slack-message.ts';

const MAX_LINE = 2000;
const TEXT_BUDGET = 10_000;
const MAX_FALLBACK_LINE = 200;

/**
 * Plain answers such as help and whoami: an optional header and the text in sections. The text may use simple
 * markdown (`code`, *bold*) and mentions, which keep working; `&`, `<` and `>` are escaped so nothing else can
 * turn into a link or a channel-wide ping.
 */
export function renderText(title: string | undefined, text: string): SlackMessage {
  const body = text.trim() === '' ? '(nothing to show)' : text.replace(/\r/g, '');
  const lines = body.split('\n').map((line) => (line === '' ? ' ' : escapeKeepingMentions(line, MAX_LINE)));
  const packed = packLines(lines, { budget: TEXT_BUDGET });
  const blocks: KnownBlock[] = [];
  if (title !== undefined && title.trim() !== '') blocks.push(header(title));
  blocks.push(...packed.chunks.map(section));
  if (packed.cut > 0) blocks.push(context(`… ${packed.cut} more ${packed.cut === 1 ? 'line' : 'lines'} not shown`));
  const first = title !== undefined && title.trim() !== '' ? title : (body.trim().split('\n')[0] ?? '');
  return boundMessage(escapeKeepingMentions(first, MAX_FALLBACK_LINE), blocks);
}
