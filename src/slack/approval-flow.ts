// The Slack and queue side of approvals: post and redraw cards, queue the plan
// job when a request opens and the real job when it is approved (its status
// message is a reply in the card's thread, so everything stays together).
import type { WebClient } from '@slack/web-api';
import type { ApprovalRequest } from '../approvals/approval-request.ts';
import type { ApprovalFlow } from '../approvals/create-approvals.ts';
import type { Log } from '../log/create-logger.ts';
import type { JobPayload } from '../queue/job-payload.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { renderApprovalCard } from '../views/render-approval-card.ts';
import { renderJobStatus } from '../views/render-job-status.ts';

/** Options of createApprovalFlow. */
export interface ApprovalFlowOptions {
  readonly client: WebClient;
  readonly queue: JobQueue;
  readonly cluster: string;
  readonly log: Log;
}

function payloadOf(request: ApprovalRequest, cluster: string): Omit<JobPayload, 'root' | 'approval'> {
  return {
    v: 1,
    command: request.command,
    input: { ...request.input },
    description: request.description,
    cluster,
    requestedAt: new Date(request.createdAt).toISOString(),
    actor: {
      userId: request.requester.userId,
      userName: request.requester.userName,
      teamId: request.requester.teamId,
      channelId: request.channel,
    },
  };
}

/** Cards in Slack, plan and approved jobs in the cluster's queue: the flow of src/approvals' service. */
export function createApprovalFlow(o: ApprovalFlowOptions): ApprovalFlow {
  const cardTs = (r: ApprovalRequest): string => {
    if (!r.cardTs) throw new Error(`approval request ${r.id} has no card`);
    return r.cardTs;
  };
  return {
    postCard: async (r) => {
      const card = renderApprovalCard(r);
      const posted = await o.client.chat.postMessage({ channel: r.channel, text: card.text, blocks: card.blocks });
      return posted.ts ?? '';
    },
    redraw: async (r) => {
      const card = renderApprovalCard(r);
      await o.client.chat
        .update({ channel: r.channel, ts: cardTs(r), text: card.text, blocks: card.blocks })
        .catch((error: unknown) => {
          o.log('warn', 'could not redraw an approval card', { id: r.id, error: String(error) });
        });
    },
    enqueuePlan: async (r) => {
      await o.queue.enqueue(`plan-${r.id}`, {
        ...payloadOf(r, o.cluster),
        root: { channel: r.channel, ts: cardTs(r) },
        approval: { id: r.id, phase: 'plan', approvedBy: [] },
      });
    },
    enqueueApproved: async (r) => {
      const status = renderJobStatus({
        requester: r.requester.userId,
        description: r.description,
        state: 'queued',
        jobId: `approved-${r.id}`,
      });
      const posted = await o.client.chat.postMessage({
        channel: r.channel,
        thread_ts: cardTs(r),
        text: status.text,
        blocks: status.blocks,
      });
      const approvedBy = r.votes.map((v) => v.userId);
      await o.queue.enqueue(`approved-${r.id}`, {
        ...payloadOf(r, o.cluster),
        root: { channel: r.channel, ts: posted.ts ?? cardTs(r), threadTs: cardTs(r) },
        approval: {
          id: r.id,
          phase: 'run',
          ...(r.plan ? { plan: { ...r.plan, images: [...r.plan.images] } } : {}),
          approvedBy,
        },
      });
    },
  };
}
