import { describe, expect, it } from '@jest/globals';
import { applyRejection, applyVote, type ApprovalRequest } from '../../../src/approvals/approval-request.ts';

const base: ApprovalRequest = {
  id: 'abc234',
  state: 'pending',
  requester: { userId: 'U0ALICE', userName: 'alice', teamId: 'T1' },
  channel: 'C0OPS',
  command: 'deploy',
  input: { deployment: 'web', image: 'x:2', namespace: 'prod' },
  description: 'deploy web to x:2 in prod',
  target: { namespace: 'prod', deployment: 'web' },
  required: 2,
  approvers: { roles: ['approver'], users: [], groups: [] },
  allowSelfApproval: false,
  createdAt: 0,
  expiresAt: 1000,
  votes: [],
};

describe('applyVote', () => {
  it('counts distinct approvers and approves at the required number', () => {
    const first = applyVote(base, 'U0BOB', 10);
    expect(first.kind).toBe('counted');
    const second = applyVote(first.request, 'U0CAROL', 20);
    expect(second).toMatchObject({
      kind: 'approved',
      request: { state: 'approved', votes: [{ userId: 'U0BOB' }, { userId: 'U0CAROL' }] },
    });
  });

  it.each([
    ['the requester, when self-approval is off', base, 'U0ALICE', 10, 'does not let requesters approve their own'],
    [
      'a second vote of the same person',
      { ...base, votes: [{ userId: 'U0BOB', at: 1 }] },
      'U0BOB',
      10,
      'each approver counts once',
    ],
    ['after expiry', base, 'U0BOB', 1000, 'has expired'],
    ['on a rejected request', { ...base, state: 'rejected' as const }, 'U0BOB', 10, 'already rejected'],
    [
      'before the plan is read',
      { ...base, state: 'planning' as const },
      'U0BOB',
      10,
      'still reading the current state',
    ],
  ])('refuses %s', (_what, request, user, now, words) => {
    const outcome = applyVote(request, user, now);
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind === 'refused' ? outcome.reason : '').toContain(words);
    expect(outcome.request).toBe(request);
  });

  it('lets the requester approve when the policy allows self-approval', () => {
    expect(applyVote({ ...base, allowSelfApproval: true, required: 1 }, 'U0ALICE', 10).kind).toBe('approved');
  });
});

describe('applyRejection', () => {
  it('ends the request at the first rejection, keeping who and why', () => {
    expect(applyRejection(base, 'U0BOB', 'not during the freeze', 5)).toMatchObject({
      kind: 'rejected',
      request: { state: 'rejected', rejectedBy: { userId: 'U0BOB', reason: 'not during the freeze', at: 5 } },
    });
  });

  it('changes nothing on a finished request', () => {
    expect(applyRejection({ ...base, state: 'approved' }, 'U0BOB', undefined, 5).kind).toBe('refused');
  });
});
