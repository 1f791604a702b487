import { context, section } from './blocks.ts';
import { boundMessage } from './bound-message.ts';
import { formatDuration } from './format-duration.ts';
import type { JobStatusView } from './job-status-view.ts';
import { escapeKeepingMentions, escapeMrkdwn, inlineCode } from './mrkdwn.ts';
import type { SlackMessage } from './slack-message.ts';
import { redactSecrets } from '../text/redact-secrets.ts';

// One line in the channel per job: generous caps on each part still leave the section far under 3000 characters.
const MAX_DESCRIPTION = 300;
const MAX_DETAIL = 500;
const MAX_REASON = 500;
const MAX_ID = 100;

function stateText(view: JobStatusView): string {
  const took = view.durationMs === undefined ? undefined : formatDuration(view.durationMs);
  // Redacted before it is cut: a reason quotes an API error, and half a secret is still one.
  const reason =
    view.reason === undefined || view.reason.trim() === ''
      ? ''
      : `: ${escapeKeepingMentions(redactSecrets(view.reason), MAX_REASON)}`;
  switch (view.state) {
    case 'succeeded':
      return took === undefined ? 'done' : `done in ${took}`;
    case 'failed':
      return `${took === undefined ? 'failed' : `failed after ${took}`}${reason}`;
    default:
      return inProgressText(view.state, view.detail);
  }
}

/** "running · 2/3 updated"; a detail that already starts with the state ("waiting for the lock…") stands alone. */
function inProgressText(state: string, detail: string | undefined): string {
  if (detail === undefined || detail.trim() === '') return state;
  const escaped = escapeKeepingMentions(redactSecrets(detail.trim()), MAX_DETAIL);
  return escaped.startsWith(state) ? escaped : `${state} · ${escaped}`;
}

function icon(view: JobStatusView): string {
  if (view.state === 'succeeded') return '✅ ';
  if (view.state === 'failed') return '❌ ';
  return '';
}

function requesterMention(requester: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(requester) ? `<@${requester}>` : escapeMrkdwn(requester, 40);
}

function references(view: JobStatusView): string[] {
  const parts: string[] = [];
  if (view.cluster !== undefined && view.cluster !== '') parts.push(`cluster ${inlineCode(view.cluster, MAX_ID)}`);
  if (view.jobId !== undefined && view.jobId !== '') parts.push(`job ${inlineCode(view.jobId, MAX_ID)}`);
  return parts;
}

/**
 * The job's thread-root message: "<@U0ALICE> → deploy … · running · 2/3 updated", ending "✅ … · done in 12 s" or
 * "❌ … · failed after 40 s: reason". It stays one compact line because it is what the whole channel sees; the
 * thread carries the details. The job id sits in a small context line for audit references.
 */
export function renderJobStatus(view: JobStatusView): SlackMessage {
  const line = `${icon(view)}${requesterMention(view.requester)} → ${escapeMrkdwn(view.description, MAX_DESCRIPTION)} · ${stateText(view)}`;
  const refs = references(view);
  const blocks = refs.length === 0 ? [section(line)] : [section(line), context(refs.join(' · '))];
  return boundMessage(line, blocks);
}
