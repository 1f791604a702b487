import { describe, expect, it } from '@jest/globals';
import type { ApprovalRequest } from '../../../src/approvals/approval-request.ts';
import { applyRejection, applyVote } from '../../../src/approvals/approval-request.ts';
import type { ApprovalStore } from '../../../src/approvals/approval-store.ts';
import { handleVote, type VoteDeps } from '../../../src/approvals/handle-vote.ts';
import type { AccessSummary } from '../../../src/policy/authorizer.ts';
import type { AuditEntry } from '../../../src/audit/audit-record.ts';

const request: ApprovalRequest = {
  id: 'k7m2pq',
  state: 'pending',
  requester: { userId: 'U0ALICE', userName: 'alice', teamId: 'T1' },
  channel: 'C0OPS',
  command: 'deploy',
  input: {},
  description: 'deploy web to x:2 in prod',
  target: { namespace: 'prod', deployment: 'web' },
  required: 1,
  approvers: { roles: ['approver'], users: ['U0DAVE'], groups: ['S0SRE'] },
  allowSelfApproval: false,
  createdAt: 0,
  expiresAt: Date.now() + 60_000,
  votes: [],
  cardTs: '1700000000.000100',
  plan: { generation: 1, images: ['x:1'], replicas: 1, change: 'web: x:1 → x:2' },
};

function fakeStore(): ApprovalStore & { current: ApprovalRequest } {
  const store = {
    current: request,
    open: async () => store.current,
    setCard: async () => store.current,
    setPlan: async () => store.current,
    failPlan: async () => undefined,
    expireDue: async () => [],
    get: async (id: string) => (id === store.current.id ? store.current : undefined),
    vote: async (_id: string, user: string) => {
      const o = applyVote(store.current, user, Date.now());
      store.current = o.request;
      return o;
    },
    reject: async (_id: string, user: string, reason?: string) => {
      const o = applyRejection(store.current, user, reason, Date.now());
      store.current = o.request;
      return o;
    },
  };
  return store;
}

/** Roles and groups per user, and who the policy lets approve in prod. */
const people: Record<string, { roles: string[]; groups: string[]; mayApproveProd: boolean }> = {
  U0BOB: { roles: ['approver'], groups: [], mayApproveProd: true },
  U0CAROL: { roles: ['viewer'], groups: [], mayApproveProd: false },
  U0DAVE: { roles: [], groups: [], mayApproveProd: true },
  U0ERIN: { roles: [], groups: ['S0SRE'], mayApproveProd: true },
  U0FRED: { roles: ['approver'], groups: [], mayApproveProd: false },
  U0ALICE: { roles: ['deployer'], groups: [], mayApproveProd: false },
};

function deps(
  store: ApprovalStore,
): VoteDeps & { redrawn: ApprovalRequest[]; queued: string[]; audited: AuditEntry[] } {
  const redrawn: ApprovalRequest[] = [];
  const queued: string[] = [];
  const audited: AuditEntry[] = [];
  return {
    store,
    redrawn,
    queued,
    audited,
    redraw: async (r) => {
      redrawn.push(r);
    },
    audit: {
      record: async (entry) => {
        audited.push(entry);
      },
    },
    enqueueApproved: async (r) => {
      queued.push(r.id);
    },
    authorizer: {
      summarize: async (actor) =>
        ({
          roles: (people[actor.userId]?.roles ?? []).map((role) => ({ role, rules: [] })),
          groups: people[actor.userId]?.groups ?? [],
          source: 'p',
          decide: () => ({ allowed: false, reason: '' }),
        }) satisfies AccessSummary,
      check: async (actor) =>
        people[actor.userId]?.mayApproveProd
          ? { allowed: true, rule: 'role approver' }
          : { allowed: false, reason: 'You may not approve web in prod: your roles here (approver) do not cover it.' },
    },
  };
}

const actor = (userId: string) => ({ userId, userName: userId.toLowerCase(), teamId: 'T1', channelId: 'C0OPS' });

describe('handleVote', () => {
  it.each([
    ['by role', 'U0BOB'],
    ['by user ID', 'U0DAVE'],
    ['by user group', 'U0ERIN'],
  ])('lets an approver %s approve, redraws the card and queues the job', async (_how, user) => {
    const store = fakeStore();
    const d = deps(store);
    expect(await handleVote(d, { requestId: 'k7m2pq', actor: actor(user), decision: 'approve' })).toContain('Approved');
    expect(d.redrawn.at(-1)?.state).toBe('approved');
    expect(d.queued).toEqual(['k7m2pq']);
  });

  it.each([
    ['someone who is not an approver', 'U0CAROL', "not one of this request's approvers"],
    ['an approver whose role does not cover this namespace', 'U0FRED', 'You may not approve web in prod'],
    ['the requester', 'U0ALICE', "not one of this request's approvers"],
  ])('refuses %s and changes nothing', async (_who, user, words) => {
    const store = fakeStore();
    const d = deps(store);
    expect(await handleVote(d, { requestId: 'k7m2pq', actor: actor(user), decision: 'approve' })).toContain(words);
    expect(store.current.votes).toEqual([]);
    expect(d.redrawn).toEqual([]);
    expect(d.queued).toEqual([]);
  });

  it('lets the requester withdraw their own request', async () => {
    const store = fakeStore();
    const d = deps(store);
    expect(
      await handleVote(d, { requestId: 'k7m2pq', actor: actor('U0ALICE'), decision: 'reject', reason: 'wrong tag' }),
    ).toContain('Rejected');
    expect(store.current).toMatchObject({ state: 'rejected', rejectedBy: { userId: 'U0ALICE', reason: 'wrong tag' } });
  });

  it('says when a click comes after the end, and queues nothing twice', async () => {
    const store = fakeStore();
    const d = deps(store);
    await handleVote(d, { requestId: 'k7m2pq', actor: actor('U0BOB'), decision: 'approve' });
    expect(await handleVote(d, { requestId: 'k7m2pq', actor: actor('U0DAVE'), decision: 'approve' })).toContain(
      'already approved',
    );
    expect(d.queued).toEqual(['k7m2pq']);
  });

  it('names a request that does not exist, and records the attempt', async () => {
    const d = deps(fakeStore());
    expect(await handleVote(d, { requestId: 'zzzzzz', actor: actor('U0BOB'), decision: 'approve' })).toBe(
      'There is no approval request `zzzzzz`.',
    );
    expect(d.audited).toEqual([
      expect.objectContaining({
        kind: 'approval.vote',
        user: 'U0BOB',
        decision: 'refused',
        detail: { request: 'zzzzzz' },
      }),
    ]);
  });

  it('does not echo, or look up, a request id of another shape', async () => {
    const d = deps(fakeStore());
    expect(await handleVote(d, { requestId: '<!channel> `x`', actor: actor('U0BOB'), decision: 'approve' })).toBe(
      'That is not an approval request id; nothing changed.',
    );
    expect(d.audited).toHaveLength(1);
  });

  it.each([
    ['from another channel', { channel: 'C0OTHER', ts: '1700000000.000100' }, 'another channel'],
    ['on another message', { channel: 'C0OPS', ts: '1700000000.000999' }, 'not on request'],
  ])("refuses a click %s than the request's card, records it, and changes nothing", async (_how, clicked, words) => {
    const store = fakeStore();
    const d = deps(store);
    expect(await handleVote(d, { requestId: 'k7m2pq', actor: actor('U0BOB'), decision: 'approve', clicked })).toContain(
      words,
    );
    expect(store.current.votes).toEqual([]);
    expect([d.redrawn, d.queued]).toEqual([[], []]);
    expect(d.audited).toEqual([expect.objectContaining({ kind: 'approval.vote', decision: 'denied' })]);
  });

  it("counts a click on the request's own card", async () => {
    const d = deps(fakeStore());
    expect(
      await handleVote(d, {
        requestId: 'k7m2pq',
        actor: actor('U0BOB'),
        decision: 'approve',
        clicked: { channel: 'C0OPS', ts: '1700000000.000100' },
      }),
    ).toContain('Approved');
  });
});
