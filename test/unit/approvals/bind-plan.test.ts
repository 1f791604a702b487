import { describe, expect, it } from '@jest/globals';
import type { ApprovalRequest } from '../../../src/approvals/approval-request.ts';
import { assertPlanHolds, bindPlan } from '../../../src/approvals/bind-plan.ts';
import { AppError } from '../../../src/errors.ts';
import type { DeploymentSummary } from '../../../src/kube/kube-api.ts';

const web: DeploymentSummary = {
  namespace: 'prod',
  name: 'web',
  generation: 4,
  containers: [{ name: 'web', image: 'x:1' }],
  progress: { desired: 2, updated: 2, ready: 2, available: 2, observed: true },
};
const request = {
  id: 'k7m2pq',
  state: 'planning',
  command: 'deploy',
  input: { image: 'x:2' },
  target: { namespace: 'prod', deployment: 'web' },
} as unknown as ApprovalRequest;

describe('bindPlan', () => {
  it("records the target's state and the change, then redraws the card", async () => {
    const redrawn: ApprovalRequest[] = [];
    const bound = await bindPlan(
      {
        kube: { readDeployment: async () => web },
        store: { get: async () => request, setPlan: async (_id, plan) => ({ ...request, plan, state: 'pending' }) },
        redraw: async (r) => {
          redrawn.push(r);
        },
      },
      'k7m2pq',
    );
    expect(bound.plan).toEqual({ generation: 4, images: ['x:1'], replicas: 2, change: 'web: x:1 → x:2' });
    expect(redrawn).toEqual([bound]);
  });
});

describe('assertPlanHolds', () => {
  const plan = { generation: 4, images: ['x:1'], replicas: 2, change: '' };
  it('passes when nothing moved', async () => {
    await expect(
      assertPlanHolds({ readDeployment: async () => web }, { namespace: 'prod', deployment: 'web' }, plan),
    ).resolves.toBeUndefined();
  });
  it('stops, not to be retried, naming what moved', async () => {
    const moved = { ...web, generation: 5, containers: [{ name: 'web', image: 'x:1-hotfix' }] };
    const attempt = assertPlanHolds(
      { readDeployment: async () => moved },
      { namespace: 'prod', deployment: 'web' },
      plan,
    );
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ retryable: false, code: 'invalid' });
    await expect(attempt).rejects.toThrow('images x:1 → x:1-hotfix');
  });
});
