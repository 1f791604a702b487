// The approval card: the thread root of a request that needs someone else's
// yes. It shows the exact plan, who may approve, until when, and — only while
// votable — the buttons. Every later state replaces it, buttons gone.
import type { ActionsBlock, KnownBlock } from '@slack/types';
import type { ApprovalRequest } from '../approvals/approval-request.ts';
import { context, section } from './blocks.ts';
import { slackDate } from './slack-date.ts';
import { boundMessage } from './bound-message.ts';
import { escapeMrkdwn, inlineCode } from './mrkdwn.ts';
import type { SlackMessage } from './slack-message.ts';

/** action_ids of the card's buttons; the gateway routes clicks by them. */
export const approvalActions = { approve: 'approval_approve', reject: 'approval_reject' } as const;

function whoMayApprove(r: ApprovalRequest): string {
  const parts = [
    ...r.approvers.roles.map((role) => `role ${inlineCode(role, 60)}`),
    ...r.approvers.users.map((u) => `<@${u}>`),
    ...r.approvers.groups.map((g) => `<!subteam^${g}>`),
  ];
  return parts.length > 0 ? parts.join(', ') : 'nobody (check the policy)';
}

function pendingLine(r: ApprovalRequest): string {
  const votes = r.votes.map((v) => `<@${v.userId}>`).join(', ');
  const sofar = votes ? ` · approved so far by ${votes}` : '';
  const self = r.allowSelfApproval ? '' : ' · the requester cannot approve';
  return `⏳ Needs ${r.required} approval(s) from ${whoMayApprove(r)}${sofar} · expires ${slackDate(r.expiresAt)}${self}`;
}

function rejectedLine(r: ApprovalRequest): string {
  const why = r.rejectedBy?.reason ? `: ${escapeMrkdwn(r.rejectedBy.reason, 500)}` : '';
  return `🚫 Rejected by <@${r.rejectedBy?.userId ?? '?'}>${why}. Nothing was done.`;
}

const stateLines: Readonly<Record<ApprovalRequest['state'], (r: ApprovalRequest) => string>> = {
  planning: () => '⏳ Reading the current state of the target…',
  pending: pendingLine,
  approved: (r) => `✅ Approved by ${r.votes.map((v) => `<@${v.userId}>`).join(', ')}; the job runs in this thread.`,
  rejected: rejectedLine,
  expired: (r) => `⌛ Expired at ${slackDate(r.expiresAt)} without enough approvals. Nothing was done.`,
  failed: (r) =>
    `❌ Could not read the target to show a plan: ${escapeMrkdwn(r.failure ?? 'unknown error', 500)}. Nothing was done; ask again once it is fixed.`,
};

function buttons(r: ApprovalRequest): ActionsBlock {
  return {
    type: 'actions',
    block_id: `approval:${r.id}`,
    elements: [
      {
        type: 'button',
        action_id: approvalActions.approve,
        value: r.id,
        style: 'primary',
        text: { type: 'plain_text', text: 'Approve' },
      },
      {
        type: 'button',
        action_id: approvalActions.reject,
        value: r.id,
        style: 'danger',
        text: { type: 'plain_text', text: 'Reject' },
      },
    ],
  };
}

/** The card for a request in any state. */
export function renderApprovalCard(r: ApprovalRequest): SlackMessage {
  const ask = `<@${r.requester.userId}> asks to *${escapeMrkdwn(r.description, 300)}*`;
  const plan = r.plan
    ? `Plan: ${inlineCode(r.plan.change, 400)} · now generation ${r.plan.generation}, ${r.plan.replicas} replica(s)`
    : undefined;
  const blocks: KnownBlock[] = [section(ask), ...(plan ? [section(plan)] : []), section(stateLines[r.state](r))];
  if (r.state === 'pending') blocks.push(buttons(r));
  blocks.push(
    context(`request ${inlineCode(r.id, 20)} · or type \`/k8s approve ${r.id}\` / \`/k8s reject ${r.id} [reason]\``),
  );
  const icon = { planning: '⏳', pending: '⏳', approved: '✅', rejected: '🚫', expired: '⌛', failed: '❌' }[r.state];
  return boundMessage(`${icon} approval request ${r.id}: ${r.description} (${r.state})`, blocks);
}
