import type { KnownBlock } from '@slack/types';
import { context, section } from './blocks.ts';
import { boundMessage } from './bound-message.ts';
import { codeBlock, codeLine, escapeKeepingMentions, escapeMrkdwn, inlineCode } from './mrkdwn.ts';
import type { SlackMessage } from './slack-message.ts';
import { redactSecrets } from '../text/redact-secrets.ts';

/** What renderError shows. */
export interface ErrorReply {
  /** What was wrong, in the user's terms (an AppError's userMessage). */
  readonly message: string;
  /** The command's usage line(s), e.g. "/k8s scale <deployment> <replicas> [-n ns]". */
  readonly usage?: string;
  /** A command name the user probably meant. */
  readonly suggestion?: string;
  /** Set for internal errors: the id the error was logged under, so a report can be matched to the log. */
  readonly ref?: string;
}

const MAX_MESSAGE = 1000;
const MAX_USAGE_LINE = 300;
const MAX_USAGE_LINES = 10;
const MAX_NAME = 100;

function usageText(usage: string): string {
  const lines = usage.trim().split('\n').slice(0, MAX_USAGE_LINES);
  if (lines.length === 1) return `Usage: ${inlineCode(lines[0] ?? '', MAX_USAGE_LINE)}`;
  return `Usage:\n${codeBlock(lines.map((line) => codeLine(line, MAX_USAGE_LINE)))}`;
}

function fallback(reply: ErrorReply): string {
  const parts = [
    escapeMrkdwn(reply.message.trim() === '' ? 'Something went wrong' : redactSecrets(reply.message), 300),
  ];
  if (reply.suggestion !== undefined && reply.suggestion !== '')
    parts.push(`Did you mean ${escapeMrkdwn(reply.suggestion, MAX_NAME)}?`);
  if (reply.ref !== undefined && reply.ref !== '')
    parts.push(`internal error, ref ${escapeMrkdwn(reply.ref, MAX_NAME)}`);
  return parts.join(' · ');
}

/**
 * The ephemeral reply to bad input or a refusal: what was wrong, how the command is used, what the user probably
 * meant, and for internal errors only a reference id, never the cause (it may hold secrets or cluster internals).
 */
export function renderError(reply: ErrorReply): SlackMessage {
  // Redacted before it is cut: an error may quote the cluster's or the user's words.
  const message = reply.message.trim() === '' ? 'Something went wrong' : redactSecrets(reply.message);
  const lines = [`:warning: ${escapeKeepingMentions(message, MAX_MESSAGE)}`];
  if (reply.suggestion !== undefined && reply.suggestion !== '')
    lines.push(`Did you mean ${inlineCode(reply.suggestion, MAX_NAME)}?`);
  if (reply.usage !== undefined && reply.usage.trim() !== '') lines.push(usageText(reply.usage));
  const blocks: KnownBlock[] = [section(lines.join('\n'))];
  if (reply.ref !== undefined && reply.ref !== '')
    blocks.push(context(`internal error, ref ${inlineCode(reply.ref, MAX_NAME)}`));
  return boundMessage(fallback(reply), blocks);
}
