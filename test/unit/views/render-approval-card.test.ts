import { describe, expect, it } from '@jest/globals';
import type { ApprovalRequest } from '../../../src/approvals/approval-request.ts';
import { renderApprovalCard } from '../../../src/views/render-approval-card.ts';
import { validateBlocks } from '../../support/slack-emulator/index.ts';

const base: ApprovalRequest = {
  id: 'k7m2pq',
  state: 'pending',
  requester: { userId: 'U0ALICE', userName: 'alice', teamId: 'T1' },
  channel: 'C0OPS',
  command: 'deploy',
  input: {},
  description: 'deploy web to ghcr.io/acme/web:2.0 in prod',
  target: { namespace: 'prod', deployment: 'web' },
  required: 2,
  approvers: { roles: ['approver'], users: ['U0BOB'], groups: ['S0SRE'] },
  allowSelfApproval: false,
  createdAt: Date.UTC(2026, 10, 27, 9),
  expiresAt: Date.UTC(2026, 10, 27, 9, 30),
  plan: {
    generation: 7,
    images: ['ghcr.io/acme/web:1.9'],
    replicas: 3,
    change: 'web: ghcr.io/acme/web:1.9 → ghcr.io/acme/web:2.0',
  },
  votes: [{ userId: 'U0CAROL', at: 1 }],
};

const actionIds = (blocks: unknown[]): string[] => JSON.stringify(blocks).match(/approval_(approve|reject)/g) ?? [];

describe('renderApprovalCard', () => {
  it('shows the plan, who may approve, the expiry and the buttons while pending', () => {
    const card = renderApprovalCard(base);
    expect(validateBlocks(card.blocks)).toEqual([]);
    expect(card).toMatchSnapshot();
    const text = JSON.stringify(card.blocks);
    expect(text).toContain('web: ghcr.io/acme/web:1.9 → ghcr.io/acme/web:2.0');
    expect(text).toContain('Needs 2 approval(s) from role `approver`, <@U0BOB>, <!subteam^S0SRE>');
    expect(text).toContain('approved so far by <@U0CAROL>');
    expect(text).toContain('<!date^1795771800^');
    expect(actionIds(card.blocks)).toEqual(['approval_approve', 'approval_reject']);
  });

  it.each([
    ['approved', { state: 'approved' as const }, 'Approved by <@U0CAROL>'],
    [
      'rejected',
      { state: 'rejected' as const, rejectedBy: { userId: 'U0BOB', reason: 'freeze <until> Monday', at: 2 } },
      'Rejected by <@U0BOB>: freeze &lt;until&gt; Monday',
    ],
    ['expired', { state: 'expired' as const }, 'Expired at <!date^'],
    ['planning', { state: 'planning' as const, plan: undefined }, 'Reading the current state'],
    [
      'failed',
      { state: 'failed' as const, plan: undefined, failure: 'deployment <web> was not found' },
      'Could not read the target to show a plan: deployment &lt;web&gt; was not found',
    ],
  ])('removes the buttons once %s', (_state, over, words) => {
    const card = renderApprovalCard({ ...base, ...over });
    expect(validateBlocks(card.blocks)).toEqual([]);
    expect(actionIds(card.blocks)).toEqual([]);
    expect(JSON.stringify(card.blocks)).toContain(words);
  });
});
