// Approval requests in a real Redis: concurrent clicks, expiry seen once across
// replicas, and requests that outlive the process that opened them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createApprovalStore, type NewApprovalRequest } from '../../../src/approvals/approval-store.ts';
import { testSealer } from '../../support/bot.ts';

let redis: Redis;
let other: Redis;
const prefix = `coxswain:test-approvals-${randomBytes(4).toString('hex')}`;

const request = (over: Partial<NewApprovalRequest> = {}): NewApprovalRequest => ({
  requester: { userId: 'U0ALICE', userName: 'alice', teamId: 'T1' },
  channel: 'C0OPS',
  command: 'deploy',
  input: { deployment: 'web', image: 'ghcr.io/acme/web:2.0', namespace: 'prod' },
  description: 'deploy web to ghcr.io/acme/web:2.0 in prod',
  target: { namespace: 'prod', deployment: 'web' },
  required: 2,
  approvers: { roles: ['approver'], users: [], groups: [] },
  allowSelfApproval: false,
  createdAt: Date.now(),
  expiresAt: Date.now() + 60_000,
  ...over,
});
const plan = { generation: 3, images: ['ghcr.io/acme/web:1.0'], replicas: 2, change: 'web: 1.0 → 2.0' };

beforeAll(() => {
  redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  other = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await other.quit();
});

describe('approval store', () => {
  it('opens a request in planning, then takes votes once the plan is bound', async () => {
    const store = createApprovalStore(redis, prefix, testSealer());
    const opened = await store.open(request());
    expect(opened).toMatchObject({ state: 'planning', votes: [] });
    expect(opened.id).toMatch(/^[a-z2-9]{6}$/);
    expect((await store.vote(opened.id, 'U0BOB')).kind).toBe('refused');
    expect((await store.setPlan(opened.id, plan)).state).toBe('pending');
    expect((await store.vote(opened.id, 'U0BOB')).kind).toBe('counted');
  });

  it('approves exactly once when many approvers click at the same moment', async () => {
    const store = createApprovalStore(redis, prefix, testSealer());
    const { id } = await store.open(request());
    await store.setPlan(id, plan);
    const voters = ['U0BOB', 'U0CAROL', 'U0DAVE', 'U0ERIN', 'U0FRANK', 'U0GRACE'];
    const outcomes = await Promise.all(
      voters.map((v, i) => createApprovalStore(i % 2 ? other : redis, prefix, testSealer()).vote(id, v)),
    );
    expect(outcomes.filter((o) => o.kind === 'approved')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'counted')).toHaveLength(1);
    expect((await store.get(id))?.votes).toHaveLength(2);
  });

  it('counts a double click once', async () => {
    const store = createApprovalStore(redis, prefix, testSealer());
    const { id } = await store.open(request());
    await store.setPlan(id, plan);
    const [a, b] = await Promise.all([store.vote(id, 'U0BOB'), store.vote(id, 'U0BOB')]);
    expect([a.kind, b.kind].sort()).toEqual(['counted', 'refused']);
  });

  it('expires due requests once, whichever replica sweeps, and a store opened later still knows them', async () => {
    const first = createApprovalStore(redis, prefix, testSealer());
    const { id } = await first.open(request({ expiresAt: Date.now() - 1 }));
    const [a, b] = await Promise.all([first.expireDue(), createApprovalStore(other, prefix, testSealer()).expireDue()]);
    expect([...a, ...b].filter((r) => r.id === id)).toHaveLength(1);
    const connection = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
    const later = createApprovalStore(connection, prefix, testSealer());
    expect((await later.get(id))?.state).toBe('expired');
    expect((await later.vote(id, 'U0BOB')).kind).toBe('refused');
    await connection.quit();
  });

  it('ends a request whose plan cannot be read: no votes, no expiry later, and only from planning', async () => {
    const store = createApprovalStore(redis, prefix, testSealer());
    const { id } = await store.open(request({ expiresAt: Date.now() + 50 }));
    expect(await store.failPlan(id, 'deployment "web" in namespace "prod" was not found')).toMatchObject({
      state: 'failed',
      failure: 'deployment "web" in namespace "prod" was not found',
    });
    expect(await store.failPlan(id, 'again')).toBeUndefined();
    expect((await store.vote(id, 'U0BOB')).kind).toBe('refused');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await store.expireDue()).map((r) => r.id)).not.toContain(id);
    expect((await store.get(id))?.state).toBe('failed');
  });

  it('says when a request does not exist', async () => {
    await expect(createApprovalStore(redis, prefix, testSealer()).vote('zzzzzz', 'U0BOB')).rejects.toThrow(
      'There is no approval request `zzzzzz`',
    );
  });
});
