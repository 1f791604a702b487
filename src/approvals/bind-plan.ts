// The worker's side of approvals: bind a held request to the target's current
// state (the plan job), and refuse an approved job whose target moved since.
import { AppError } from '../errors.ts';
import type { KubeApi } from '../kube/kube-api.ts';
import type { ApprovalPlan, ApprovalRequest } from './approval-request.ts';
import type { ApprovalStore } from './approval-store.ts';
import { planChange, planDrift } from './plan-change.ts';

/** What binding needs, injected. */
export interface BindPlanDeps {
  readonly kube: Pick<KubeApi, 'readDeployment'>;
  readonly store: Pick<ApprovalStore, 'get' | 'setPlan'>;
  readonly redraw: (request: ApprovalRequest) => Promise<void>;
}

/**
 * Reads the target, records the plan on the request (which makes it votable)
 * and redraws the card with the plan and the buttons. A missing target fails
 * the request's plan job with the API's not-found message, shown in its thread.
 */
export async function bindPlan(deps: BindPlanDeps, requestId: string): Promise<ApprovalRequest> {
  const request = await deps.store.get(requestId);
  if (!request) throw new AppError('not_found', `There is no approval request \`${requestId}\`.`);
  if (!request.target.deployment)
    throw new AppError('bad_input', 'Only commands on a deployment can be held for approval.');
  const current = await deps.kube.readDeployment({
    namespace: request.target.namespace,
    name: request.target.deployment,
  });
  const bound = await deps.store.setPlan(request.id, planChange(current, request.command, request.input));
  await deps.redraw(bound);
  return bound;
}

/** Throws (not retried) when the target no longer matches the approved plan. */
export async function assertPlanHolds(
  kube: Pick<KubeApi, 'readDeployment'>,
  target: { namespace: string; deployment?: string },
  plan: ApprovalPlan,
  ownJob?: string,
): Promise<void> {
  if (!target.deployment) return;
  const drift = planDrift(
    plan,
    await kube.readDeployment({ namespace: target.namespace, name: target.deployment }),
    ownJob,
  );
  if (drift) throw new AppError('invalid', drift);
}
