import type { KnownBlock } from '@slack/types';
import type { FailingPod, RolloutAction, RolloutResult, WarningEvent } from '../results.ts';
import { context, section } from './blocks.ts';
import { boundMessage } from './bound-message.ts';
import { formatDuration } from './format-duration.ts';
import { escapeMrkdwn, inlineCode } from './mrkdwn.ts';
import { packLines } from './pack-lines.ts';
import type { SlackMessage } from './slack-message.ts';

// A failed rollout of 200 pods usually fails for one reason; the first few pods and events show it, the rest would
// bury it. These caps keep the thread reply readable and far under Slack's limits.
const MAX_PODS = 10;
const MAX_EVENTS = 10;
const MAX_NAME = 120;
const MAX_MESSAGE = 200;
const MAX_CHANGE = 500;
const MAX_REASON = 1000;
const LIST_BUDGET = 4000;

const ACTION_NOUNS: Readonly<Record<RolloutAction, string>> = {
  deploy: 'Deploy',
  scale: 'Scale',
  restart: 'Restart',
  undo: 'Rollback',
  status: 'Rollout',
};

function outcomeText(result: RolloutResult): string {
  const took = formatDuration(result.durationMs);
  if (result.outcome === 'complete') return `complete in ${took}`;
  if (result.outcome === 'timeout') return `timed out after ${took}`;
  return `failed after ${took}`;
}

function headline(result: RolloutResult): string {
  const icon = result.outcome === 'complete' ? '✅' : '❌';
  const target = `${inlineCode(result.deployment, MAX_NAME)} in ${inlineCode(result.namespace, MAX_NAME)}`;
  return `${icon} *${ACTION_NOUNS[result.action]} of* ${target} *${outcomeText(result)}*`;
}

function progressText(result: RolloutResult): string {
  const { desired, updated, ready, available, observed } = result.progress;
  const counts = `${updated}/${desired} updated · ${ready}/${desired} ready · ${available}/${desired} available`;
  return observed ? counts : `${counts} · change not yet seen by the controller`;
}

function summary(result: RolloutResult): string {
  const lines = [headline(result)];
  if (result.change !== undefined && result.change !== '') lines.push(inlineCode(result.change, MAX_CHANGE));
  lines.push(progressText(result));
  if (result.reason !== undefined && result.reason !== '')
    lines.push(`*Reason:* ${escapeMrkdwn(result.reason, MAX_REASON)}`);
  return lines.join('\n');
}

function podLine(pod: FailingPod): string {
  const parts = [`• ${inlineCode(pod.name, MAX_NAME)} ${escapeMrkdwn(pod.phase, 40)}${pod.ready ? '' : ', not ready'}`];
  if (pod.reason !== undefined && pod.reason !== '') parts.push(`*${escapeMrkdwn(pod.reason, 80)}*`);
  parts.push(`${pod.restarts} ${pod.restarts === 1 ? 'restart' : 'restarts'}`);
  if (pod.lastTermination !== undefined) {
    parts.push(`last exit: ${escapeMrkdwn(pod.lastTermination.reason, 80)} (code ${pod.lastTermination.exitCode})`);
  }
  const message =
    pod.message === undefined || pod.message === '' ? '' : `\n    _${escapeMrkdwn(pod.message, MAX_MESSAGE)}_`;
  return `${parts.join(' · ')}${message}`;
}

function eventLine(event: WarningEvent): string {
  const times = event.count > 1 ? ` ×${event.count}` : '';
  const when = event.lastSeen === '' ? '' : ` (${escapeMrkdwn(event.lastSeen, 40)})`;
  return `• ${inlineCode(event.object, MAX_NAME)} *${escapeMrkdwn(event.reason, 80)}*${times}: ${escapeMrkdwn(event.message, MAX_MESSAGE)}${when}`;
}

interface ListSpec {
  readonly title: string;
  readonly lines: readonly string[];
  readonly max: number;
  readonly noun: string;
}

/** A titled list in sections, with a context note saying how many items were left out. */
function listBlocks(spec: ListSpec): KnownBlock[] {
  if (spec.lines.length === 0) return [];
  const shown = spec.lines.slice(0, spec.max);
  const packed = packLines([`*${spec.title}* (${spec.lines.length})`, ...shown], { budget: LIST_BUDGET });
  const hidden = spec.lines.length - shown.length + packed.cut;
  const blocks: KnownBlock[] = packed.chunks.map(section);
  if (hidden > 0) blocks.push(context(`… ${hidden} more ${spec.noun} not shown`));
  return blocks;
}

function fallback(result: RolloutResult): string {
  const what = `${ACTION_NOUNS[result.action]} of ${escapeMrkdwn(result.deployment, MAX_NAME)} in ${escapeMrkdwn(result.namespace, MAX_NAME)}`;
  const reason =
    result.outcome !== 'complete' && result.reason !== undefined ? `: ${escapeMrkdwn(result.reason, 200)}` : '';
  return `${result.outcome === 'complete' ? '✅' : '❌'} ${what} ${outcomeText(result)}${reason}`;
}

/**
 * A rollout's result for the job's thread: outcome, progress and what changed, and when it failed, the failing pods
 * (waiting reason, restarts, last exit) and the latest warning events, which together usually say why.
 */
export function renderRollout(result: RolloutResult): SlackMessage {
  const blocks: KnownBlock[] = [
    section(summary(result)),
    ...listBlocks({
      title: 'Failing pods',
      lines: result.failingPods.map(podLine),
      max: MAX_PODS,
      noun: 'failing pods',
    }),
    ...listBlocks({
      title: 'Latest warning events',
      lines: result.events.map(eventLine),
      max: MAX_EVENTS,
      noun: 'events',
    }),
  ];
  return boundMessage(fallback(result), blocks);
}
