import type { KnownBlock } from '@slack/types';
import type { LogsResult } from '../results.ts';
import { redactLines } from '../text/redact-secrets.ts';
import { context, section } from './blocks.ts';
import { boundMessage } from './bound-message.ts';
import { codeLine, escapeMrkdwn, inlineCode } from './mrkdwn.ts';
import { packLines } from './pack-lines.ts';
import { charCount } from './slack-limits.ts';
import type { SlackMessage } from './slack-message.ts';

// One 10 KB JSON line must not crowd out every other line; the newest lines are the ones kept when space runs out.
const MAX_LINE = 1000;
const MAX_NAME = 120;
const LOG_BUDGET = 9500;

function title(result: LogsResult): string {
  const previous = result.previous ? ' (previous container)' : '';
  return `*Logs of* ${inlineCode(result.pod, MAX_NAME)} / ${inlineCode(result.container, MAX_NAME)} in ${inlineCode(result.namespace, MAX_NAME)}${previous}`;
}

function notes(result: LogsResult, cut: number, shortened: boolean): string[] {
  const found: string[] = [];
  if (cut > 0) found.push(`… ${cut} earlier ${cut === 1 ? 'line' : 'lines'} not shown`);
  if (result.truncated) found.push('(truncated)');
  if (shortened) found.push(`lines over ${MAX_LINE} characters shortened`);
  return found;
}

/**
 * A pod's log tail for the thread: a header saying whose logs (and whether of the previous, crashed container), then
 * the lines in code blocks. Lines are neutralised so a ``` in a log cannot end the block, and what was cut is said.
 */
export function renderLogs(result: LogsResult): SlackMessage {
  // Redacted here as well as in the worker: a view may be handed lines from anywhere, and a key block spans lines.
  const raw = redactLines(result.lines.flatMap((line) => line.split('\n')));
  const lines = raw.map((line) => codeLine(line, MAX_LINE));
  const shortened = lines.some((line) => charCount(line) >= MAX_LINE && line.endsWith('…'));
  const packed = packLines(lines, { budget: LOG_BUDGET, code: true, keep: 'tail' });
  const blocks: KnownBlock[] = [section(title(result))];
  const found = notes(result, packed.cut, shortened);
  if (found.length > 0) blocks.push(context(found.join(' · ')));
  blocks.push(...(raw.length === 0 ? [section('_No log lines._')] : packed.chunks.map(section)));
  const fallback = `Logs of ${escapeMrkdwn(result.pod, MAX_NAME)}/${escapeMrkdwn(result.container, MAX_NAME)} (${raw.length} lines${result.truncated ? ', truncated' : ''})`;
  return boundMessage(fallback, blocks);
}
