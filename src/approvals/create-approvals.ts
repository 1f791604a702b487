// Approvals as one service, which the gateway and the worker both construct over
// the same store: the gateway opens requests and counts votes (buttons and
// /k8s approve|reject); the worker binds plans, checks an approved job's grant
// and plan before it acts, and expires what is due. What reaches Slack and the
// queue (cards, plan and approved jobs) is the `flow` the roles hand in.
import type { AuditRecorder } from '../audit/audit-log.ts';
import type { KubeApi } from '../kube/kube-api.ts';
import type { Log } from '../log/create-logger.ts';
import type { Authorizer } from '../policy/authorizer.ts';
import type { ApprovalRule } from '../policy/policy-schema.ts';
import type { ApprovalRequest } from './approval-request.ts';
import type { ApprovalStore } from './approval-store.ts';
import { handleVote, type Vote } from './handle-vote.ts';
import { openApproval, type HeldCommand } from './open-approval.ts';
import { sweepExpired } from './sweep-expired.ts';
import { createWorkerApprovals, type WorkerApprovals } from './worker-approvals.ts';

/** What approvals say and queue: the card, and the plan and approved jobs. */
export interface ApprovalFlow {
  /** Posts the card of a request; its ts. */
  readonly postCard: (request: ApprovalRequest) => Promise<string>;
  /** Redraws the card as the request stands. */
  readonly redraw: (request: ApprovalRequest) => Promise<void>;
  readonly enqueuePlan: (request: ApprovalRequest) => Promise<void>;
  /** Queues the approved job in the card's thread; idempotent per request. */
  readonly enqueueApproved: (request: ApprovalRequest) => Promise<void>;
}

/** Options of createApprovals. */
export interface ApprovalsOptions {
  readonly store: ApprovalStore;
  readonly flow: ApprovalFlow;
  readonly authorizer: Pick<Authorizer, 'check' | 'summarize' | 'approvalRule'>;
  readonly audit: AuditRecorder;
  readonly log: Log;
  /** The cluster as the bot, for plans (the worker's); absent where the cluster is never read (the gateway). */
  readonly kube?: Pick<KubeApi, 'readDeployment'>;
}

/** Every approval operation of either role. */
export interface Approvals extends WorkerApprovals {
  /** Opens a request for a held command under `rule`: posts its card and queues its plan. */
  open(held: HeldCommand, rule: ApprovalRule): Promise<ApprovalRequest>;
  /** Applies a vote; what to tell the voter. */
  vote(vote: Vote): Promise<string>;
  /** Expires what is due (each request once, across replicas): redraws its card and records it. How many. */
  expireDue(now?: number): Promise<number>;
}

/** The plan-reading duties need the cluster; a role without it cannot run a plan job. */
function withoutCluster(): Pick<KubeApi, 'readDeployment'> {
  const refuse = (): never => {
    throw new Error('approval plans are read by the worker; this role has no cluster access');
  };
  return { readDeployment: refuse };
}

/** Builds the service. */
export function createApprovals(o: ApprovalsOptions): Approvals {
  const worker = createWorkerApprovals({
    store: o.store,
    kube: o.kube ?? withoutCluster(),
    redraw: o.flow.redraw,
    authorizer: o.authorizer,
  });
  const voteDeps = {
    store: o.store,
    authorizer: o.authorizer,
    redraw: o.flow.redraw,
    enqueueApproved: o.flow.enqueueApproved,
    audit: o.audit,
  };
  const expired = async (r: ApprovalRequest): Promise<void> => {
    await o.flow.redraw(r);
    await o.audit.record({
      kind: 'approval.expired',
      user: r.requester.userId,
      channel: r.channel,
      command: r.command,
      description: r.description,
      ...r.target,
      decision: 'refused',
      reason: `expired with ${r.votes.length} of ${r.required} approvals`,
      detail: { request: r.id },
    });
  };
  return {
    ...worker,
    open: (held, rule) =>
      openApproval({ store: o.store, postCard: o.flow.postCard, enqueuePlan: o.flow.enqueuePlan }, held, rule),
    vote: (vote) => handleVote(voteDeps, vote),
    expireDue: (now) => sweepExpired({ store: o.store, expired, log: o.log }, now),
  };
}
