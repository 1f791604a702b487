// The Approve / Reject buttons of approval cards. Each click is a signed
// block_actions request (Bolt verifies it); it is acked at once, and the voter
// is told privately what their click did. The click counts only on the
// request's own card (its channel and message), so a crafted payload naming
// another request, or sent from another channel, changes nothing.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { Approvals } from '../approvals/create-approvals.ts';
import type { AuditRecorder } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import type { Log } from '../log/create-logger.ts';
import type { Actor } from '../registry/command-spec.ts';
import { approvalActions } from '../views/render-approval-card.ts';
import { renderText } from '../views/render-text.ts';
import type { GateVerdict, RequestOrigin, WorkspaceGate } from './workspace-gate.ts';

/**
 * Where a click says it comes from: the installation's workspace, and the clicker's own (they differ for a Slack
 * Connect guest).
 */
export function clickOrigin(body: BlockAction): RequestOrigin {
  const team = body.team?.id ?? undefined;
  const enterprise = body.enterprise?.id ?? undefined;
  return {
    userId: body.user.id,
    ...(team ? { team } : {}),
    ...(enterprise ? { enterprise } : {}),
    ...(body.user.team_id ? { userTeam: body.user.team_id } : {}),
  };
}

function actorOf(body: BlockAction, verdict: GateVerdict & { ok: true }): Actor {
  return {
    userId: body.user.id,
    userName: body.user.username ?? body.user.name ?? body.user.id,
    teamId: body.user.team_id ?? body.team?.id ?? '',
    channelId: body.channel?.id ?? '',
    ...(verdict.externalTeam ? { externalTeam: verdict.externalTeam } : {}),
  };
}

/** A vote from a workspace the bot does not serve changes nothing, and is recorded. */
async function refuseForeign(audit: AuditRecorder, body: BlockAction, reason: string): Promise<string> {
  await audit.record({
    kind: 'request.refused',
    user: body.user.id,
    channel: body.channel?.id ?? '',
    decision: 'refused',
    reason,
    detail: {
      reason: 'foreign_workspace',
      action: 'approval vote',
      team: body.team?.id ?? '-',
      userTeam: body.user.team_id ?? '-',
    },
  });
  return reason;
}

/** Routes the card's buttons to the approvals' vote, once the clicker's workspace is let in. */
export function registerApprovalActions(
  app: App,
  deps: {
    readonly approvals: Pick<Approvals, 'vote'>;
    readonly audit: AuditRecorder;
    readonly workspaces: WorkspaceGate;
  },
  log: Log,
): void {
  for (const [decision, actionId] of [
    ['approve', approvalActions.approve],
    ['reject', approvalActions.reject],
  ] as const) {
    app.action<BlockAction<ButtonAction>>({ action_id: actionId }, async ({ ack, body, action, respond }) => {
      await ack();
      const verdict = deps.workspaces.check(clickOrigin(body));
      if (!verdict.ok) {
        const message = renderText(undefined, await refuseForeign(deps.audit, body, verdict.reason));
        await respond({
          response_type: 'ephemeral',
          replace_original: false,
          text: message.text,
          blocks: message.blocks,
        }).catch(() => undefined);
        return;
      }
      const actor = actorOf(body, verdict);
      const clicked = { channel: actor.channelId, ts: String(body.container['message_ts'] ?? body.message?.ts ?? '') };
      const answer = await deps.approvals
        .vote({ requestId: action.value ?? '', actor, decision, clicked })
        .catch((error: unknown) => {
          if (error instanceof AppError) return error.userMessage;
          log('error', 'vote failed', {
            error: error instanceof Error ? error.stack : String(error),
            user: actor.userId,
          });
          return 'Your click could not be counted; please try again.';
        });
      const message = renderText(undefined, answer);
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: answer,
        blocks: message.blocks,
      }).catch(() => undefined);
    });
  }
}
