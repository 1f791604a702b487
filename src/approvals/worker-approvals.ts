// What the worker does about approvals: run plan jobs, and make sure a job the
// policy says needs approval carries one that is real, approved, for exactly
// this command, and still matches its target.
import { AppError } from '../errors.ts';
import type { KubeApi } from '../kube/kube-api.ts';
import type { AccessRequest } from '../policy/decide.ts';
import type { Authorizer } from '../policy/authorizer.ts';
import type { JobPayload } from '../queue/job-payload.ts';
import type { ApprovalRequest } from './approval-request.ts';
import type { ApprovalStore } from './approval-store.ts';
import { assertPlanHolds, bindPlan } from './bind-plan.ts';

/** The worker's approval duties. */
export interface WorkerApprovals {
  /** Binds a held request to its target's state and shows the card's buttons. */
  bindPlan(requestId: string): Promise<ApprovalRequest>;
  /** Ends a request whose plan job failed for good, and redraws its card with the reason. */
  failPlan(requestId: string, reason: string): Promise<void>;
  /**
   * Throws unless the job may act: no approval needed, or a matching approved request whose plan holds
   * (or whose target's last change is this job's own, `jobId`, from an earlier run).
   */
  verify(payload: JobPayload, request: AccessRequest, jobId?: string): Promise<void>;
}

/** Options of createWorkerApprovals. */
export interface WorkerApprovalsOptions {
  readonly store: ApprovalStore;
  readonly kube: Pick<KubeApi, 'readDeployment'>;
  readonly redraw: (request: ApprovalRequest) => Promise<void>;
  readonly authorizer: Pick<Authorizer, 'approvalRule'>;
}

const sameWords = (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

function matches(stored: ApprovalRequest, payload: JobPayload): boolean {
  return (
    stored.state === 'approved' &&
    stored.requester.userId === payload.actor.userId &&
    stored.command === payload.command &&
    sameWords(stored.input, payload.input)
  );
}

/** Builds the worker's approval duties. */
export function createWorkerApprovals(o: WorkerApprovalsOptions): WorkerApprovals {
  return {
    bindPlan: (requestId) => bindPlan(o, requestId),
    failPlan: async (requestId, reason) => {
      const failed = await o.store.failPlan(requestId, reason);
      if (failed) await o.redraw(failed);
    },
    verify: async (payload, request, jobId) => {
      const rule = o.authorizer.approvalRule(request);
      if (!rule) return;
      const id = payload.approval?.phase === 'run' ? payload.approval.id : undefined;
      const stored = id ? await o.store.get(id) : undefined;
      if (!stored || !matches(stored, payload) || !stored.plan) {
        throw new AppError(
          'forbidden',
          `This needs ${rule.required} approval(s) under the policy, and this job carries none that matches; nothing was done.`,
        );
      }
      await assertPlanHolds(o.kube, stored.target, stored.plan, jobId);
    },
  };
}
