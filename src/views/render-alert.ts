// The failed-pod alert: what fails (workload, reason, pods, restarts, the last
// exit), why (the API's message), the crashed container's last log lines and
// the latest warning events, with Logs / Restart / Roll back buttons. The
// colour bar (an attachment) is red while firing and green once recovered.
import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import type { WarningEvent } from '../results.ts';
import type { AlertRecord } from '../alerts/alert-record.ts';
import { context, section } from './blocks.ts';
import { boundMessage } from './bound-message.ts';
import { formatDuration } from './format-duration.ts';
import { codeLine, escapeMrkdwn, inlineCode } from './mrkdwn.ts';
import { packLines } from './pack-lines.ts';
import { slackDate } from './slack-date.ts';
import type { SlackMessage } from './slack-message.ts';

/** action_ids of the alert's buttons; the gateway routes clicks by them. */
export const alertActions = { logs: 'alert_logs', restart: 'alert_restart', rollback: 'alert_rollback' } as const;

/** What a button click carries (JSON in the button's value, < 2000 characters). */
export interface AlertButtonValue {
  /** The alert the button was drawn for (alertId of its key): a click is checked against that alert before it acts. */
  readonly alert: string;
  readonly namespace: string;
  readonly workload: string;
  readonly pod?: string;
  readonly container?: string;
  /** Logs of the previous (crashed) instance rather than the current one. */
  readonly previous?: boolean;
}

/** What was read from the cluster for the message: the crashed container's log tail and warning events. */
export interface AlertEvidence {
  readonly pod: string;
  readonly container?: string;
  readonly previous: boolean;
  readonly lines: readonly string[];
  /** Why there are no lines, when the logs could not be read. */
  readonly logsUnavailable?: string;
  readonly events: readonly WarningEvent[];
}

/** A Slack message with the colour bar. */
export interface AlertMessage extends SlackMessage {
  readonly attachments: { readonly color: string; readonly text: string; readonly fallback: string }[];
}

const colours = { firing: '#d93f0b', recovered: '#2eb886' } as const;
const maxName = 120;
const logBudget = 2600;
const maxPodsNamed = 5;

/** A link to a Slack message, in the archive form Slack resolves for members. */
export function messageLink(message: { readonly channel: string; readonly ts: string }, label: string): string {
  return `<https://slack.com/archives/${message.channel}/p${message.ts.replace('.', '')}|${escapeMrkdwn(label, 80)}>`;
}

function title(r: AlertRecord): string {
  const icon = r.state === 'recovered' ? '✅ Recovered:' : '🔴';
  const w = r.subject.workload;
  return `${icon} *${r.subject.reason}* · ${w.kind} ${inlineCode(w.name, maxName)} in ${inlineCode(r.subject.namespace, maxName)} · cluster ${inlineCode(r.cluster, 60)}`;
}

function podLine(r: AlertRecord): string | undefined {
  if (r.state === 'recovered') return undefined;
  const named = r.pods
    .slice(0, maxPodsNamed)
    .map((p) => inlineCode(p.name, maxName))
    .join(', ');
  const more = r.podCount > maxPodsNamed ? ` and ${r.podCount - maxPodsNamed} more` : '';
  return `*Pods failing:* ${r.podCount} — ${named}${more}`;
}

function failureLines(r: AlertRecord): string[] {
  const failure = r.pods[0]?.failure;
  if (!failure) return [];
  const parts = [
    ...(failure.container ? [`*Container:* ${inlineCode(failure.container, maxName)}`] : []),
    `*Restarts:* ${failure.restarts}`,
    ...(failure.lastTerminated
      ? [
          `*Last exit:* ${escapeMrkdwn(failure.lastTerminated.reason, 60)} (exit code ${failure.lastTerminated.exitCode})`,
        ]
      : []),
  ];
  return [parts.join(' · '), ...(failure.message ? [`*Why:* ${escapeMrkdwn(failure.message, 300)}`] : [])];
}

function seenLine(r: AlertRecord, now: number): string {
  const times = r.occurrences === 1 ? 'once' : `${r.occurrences} times`;
  const recovered =
    r.recoveredAt === undefined ? '' : ` · recovered after ${formatDuration(r.recoveredAt - r.firstSeen)}`;
  const before = r.previous ? ` · ${messageLink(r.previous, 'previous alert')}` : '';
  return `*Seen:* ${times} since ${slackDate(r.firstSeen)} (${formatDuration(now - r.firstSeen)} ago) · last ${slackDate(r.lastSeen)}${recovered}${before}`;
}

function logBlocks(evidence: AlertEvidence | undefined): KnownBlock[] {
  if (!evidence) return [];
  const whose = `${inlineCode(evidence.pod, maxName)}${evidence.container ? ` / ${inlineCode(evidence.container, maxName)}` : ''}${evidence.previous ? ' (previous container)' : ''}`;
  if (evidence.lines.length === 0) {
    return [context(`Logs of ${whose}: ${escapeMrkdwn(evidence.logsUnavailable ?? 'no lines', 300)}`)];
  }
  const packed = packLines(
    evidence.lines.map((l) => codeLine(l, 300)),
    { budget: logBudget, code: true, keep: 'tail', maxChunks: 1 },
  );
  return [
    section(`*Last log lines of* ${whose}${packed.cut > 0 ? ` (${packed.cut} earlier not shown)` : ''}`),
    ...packed.chunks.map(section),
  ];
}

function eventBlocks(evidence: AlertEvidence | undefined): KnownBlock[] {
  if (!evidence || evidence.events.length === 0) return [];
  const lines = evidence.events.map(
    (e) =>
      `• ${inlineCode(e.reason, 60)} ${escapeMrkdwn(e.message, 250)}${e.count > 1 ? ` (×${e.count})` : ''} · ${slackDate(Date.parse(e.lastSeen))}`,
  );
  return [section(`*Latest warning events*\n${lines.join('\n')}`)];
}

function button(text: string, actionId: string, value: AlertButtonValue, style?: 'danger'): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text },
    action_id: actionId,
    value: JSON.stringify(value),
    ...(style ? { style } : {}),
  };
}

/** Logs of the failing pod; Restart and Roll back for a Deployment. None once recovered. */
function buttons(r: AlertRecord): ActionsBlock[] {
  if (r.state === 'recovered') return [];
  const pod = r.pods[0];
  const value: AlertButtonValue = {
    alert: r.id,
    namespace: r.subject.namespace,
    workload: `${r.subject.workload.kind}/${r.subject.workload.name}`,
    ...(pod ? { pod: pod.name } : {}),
    ...(pod?.failure.container ? { container: pod.failure.container } : {}),
    ...(pod?.failure.lastTerminated ? { previous: true } : {}),
  };
  const elements: Button[] = pod ? [button('Logs', alertActions.logs, value)] : [];
  if (r.subject.workload.kind === 'Deployment') {
    elements.push(
      button('Restart', alertActions.restart, value),
      button('Roll back', alertActions.rollback, value, 'danger'),
    );
  }
  return elements.length === 0 ? [] : [{ type: 'actions', block_id: 'alert_actions', elements }];
}

/** The alert message for a record, with the evidence read for it (if any). */
export function renderAlert(r: AlertRecord, evidence: AlertEvidence | undefined, now: number): AlertMessage {
  const facts = [podLine(r), ...failureLines(r), seenLine(r, now)].filter((l) => l !== undefined);
  const blocks: KnownBlock[] = [
    section(title(r)),
    section(facts.join('\n')),
    ...(r.state === 'firing' ? [...logBlocks(evidence), ...eventBlocks(evidence)] : []),
    ...buttons(r),
    context(
      `alert on ${escapeMrkdwn(r.subject.workload.kind, 20)}/${escapeMrkdwn(r.subject.workload.name, maxName)} · more failures update this message · Coxswain`,
    ),
  ];
  const w = r.subject.workload;
  const status =
    r.state === 'recovered'
      ? `Recovered after ${formatDuration((r.recoveredAt ?? now) - r.firstSeen)}`
      : `Firing: ${r.podCount} pod(s), ${r.occurrences} occurrence(s)`;
  const fallback = `${r.state === 'recovered' ? '✅' : '🔴'} ${r.subject.reason}: ${w.kind} ${w.name} in ${r.subject.namespace} (${status})`;
  const message = boundMessage(fallback, blocks);
  return { ...message, attachments: [{ color: colours[r.state], text: status, fallback: status }] };
}

/** The thread reply when a workload recovers. */
export function renderRecovery(r: AlertRecord): SlackMessage {
  const after = formatDuration((r.recoveredAt ?? Date.now()) - r.firstSeen);
  const w = r.subject.workload;
  const text = `✅ ${w.kind} ${inlineCode(w.name, maxName)} recovered after ${after}: no pod has failed with ${escapeMrkdwn(r.subject.reason, 40)} since.`;
  return boundMessage(`✅ ${w.kind} ${w.name} recovered after ${after}`, [section(text)]);
}

/** The note in a rollout's thread: the workload it changed is failing now. */
export function renderRolloutFailure(
  r: AlertRecord,
  rollout: { readonly userId: string; readonly description: string },
  alert: { readonly channel: string; readonly ts: string } | undefined,
): SlackMessage {
  const w = r.subject.workload;
  const link = alert ? ` (${messageLink(alert, 'the alert')})` : '';
  const text = `⚠️ <@${rollout.userId}>, ${w.kind} ${inlineCode(w.name, maxName)} is failing after your change (${escapeMrkdwn(rollout.description, 200)}): *${escapeMrkdwn(r.subject.reason, 40)}* on ${r.podCount} pod(s)${link}.`;
  const blocks: KnownBlock[] = [
    section(text),
    ...buttons(r).map((b) => ({
      ...b,
      elements: b.elements.filter(
        (e) => (e as Button).action_id === alertActions.rollback || (e as Button).action_id === alertActions.logs,
      ),
    })),
  ];
  return boundMessage(`⚠️ ${w.kind} ${w.name} is failing after the change by <@${rollout.userId}>`, blocks);
}
