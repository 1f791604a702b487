// The Approve / Reject buttons of approval cards. Each click is a signed
// block_actions request (Bolt verifies it); it is acked at once, and the voter
// is told privately what their click did. The click counts only on the
// request's own card (its channel and message), so a crafted payload naming
// another request, or sent from another channel, changes nothing.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { handleVote, type VoteDeps } from '../approvals/handle-vote.ts';
import type { Log } from '../log/create-logger.ts';
import type { Actor } from '../registry/command-spec.ts';
import { approvalActions } from '../views/render-approval-card.ts';
import { renderText } from '../views/render-text.ts';

function actorOf(body: BlockAction): Actor {
  return {
    userId: body.user.id,
    userName: body.user.username ?? body.user.name ?? body.user.id,
    teamId: body.team?.id ?? body.user.team_id ?? '',
    channelId: body.channel?.id ?? '',
  };
}

/** Routes the card's buttons to handleVote. */
export function registerApprovalActions(app: App, deps: VoteDeps, log: Log): void {
  for (const [decision, actionId] of [['approve', approvalActions.approve], ['reject', approvalActions.reject]] as const) {
    app.action<BlockAction<ButtonAction>>({ action_id: actionId }, async ({ ack, body, action, respond }) => {
      await ack();
      const actor = actorOf(body);
      const clicked = { channel: actor.channelId, ts: String(body.container['message_ts'] ?? body.message?.ts ?? '') };
      const answer = await handleVote(deps, { requestId: action.value ?? '', actor, decision, clicked }).catch((error: unknown) => {
        log('error', 'vote failed', { error: error instanceof Error ? error.stack : String(error), user: actor.userId });
        return 'Your click could not be counted; please try again.';
      });
      const message = renderText(undefined, answer);
      await respond({ response_type: 'ephemeral', replace_original: false, text: answer, blocks: message.blocks }).catch(() => undefined);
    });
  }
}
