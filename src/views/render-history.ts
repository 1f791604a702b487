import type { KnownBlock } from '@slack/types';
import type { HistoryResult, Revision } from '../results.ts';
import { context, section } from './blocks.ts';
import { boundMessage } from './bound-message.ts';
import { escapeMrkdwn, inlineCode } from './mrkdwn.ts';
import { packLines } from './pack-lines.ts';
import type { SlackMessage } from './slack-message.ts';

// People look at history to pick a revision to roll back to: the recent ones matter, so the newest come first and
// the oldest are the ones cut.
const MAX_REVISIONS = 25;
const MAX_IMAGES = 5;
const MAX_NAME = 120;
const MAX_CAUSE = 300;
const LIST_BUDGET = 8000;

function imagesText(images: readonly string[]): string {
  if (images.length === 0) return '_no images_';
  const shown = images.slice(0, MAX_IMAGES).map((image) => inlineCode(image, 200));
  const more = images.length > MAX_IMAGES ? ` +${images.length - MAX_IMAGES} more` : '';
  return `${shown.join(', ')}${more}`;
}

function revisionLine(revision: Revision): string {
  const mark = revision.current ? ' ← *current*' : '';
  const cause =
    revision.changeCause === undefined || revision.changeCause === ''
      ? '_no change-cause_'
      : escapeMrkdwn(revision.changeCause, MAX_CAUSE);
  const created =
    revision.createdAt === undefined || revision.createdAt === '' ? '' : ` · ${escapeMrkdwn(revision.createdAt, 40)}`;
  return `• *${revision.revision}*${mark} · ${cause}\n    ${imagesText(revision.images)}${created}`;
}

/**
 * A Deployment's rollout history for the thread: one entry per revision with its change-cause (who changed it and
 * why) and images, newest first, the current one marked, so a rollback target can be read off at a glance.
 */
export function renderHistory(result: HistoryResult): SlackMessage {
  const target = `${inlineCode(result.deployment, MAX_NAME)} in ${inlineCode(result.namespace, MAX_NAME)}`;
  const title = `*Rollout history of* ${target} (${result.revisions.length} ${result.revisions.length === 1 ? 'revision' : 'revisions'})`;
  const fallback = `Rollout history of ${escapeMrkdwn(result.deployment, MAX_NAME)} in ${escapeMrkdwn(result.namespace, MAX_NAME)}: ${result.revisions.length} revisions`;
  if (result.revisions.length === 0) return boundMessage(fallback, [section(`${title}\n_No revisions found._`)]);
  const newestFirst = [...result.revisions].sort((a, b) => b.revision - a.revision);
  const shown = newestFirst.slice(0, MAX_REVISIONS);
  const packed = packLines([title, ...shown.map(revisionLine)], { budget: LIST_BUDGET });
  const hidden = newestFirst.length - shown.length + packed.cut;
  const blocks: KnownBlock[] = packed.chunks.map(section);
  if (hidden > 0) blocks.push(context(`… ${hidden} older ${hidden === 1 ? 'revision' : 'revisions'} not shown`));
  return boundMessage(fallback, blocks);
}
