// Opening a request (card posted, plan queued) and expiring it, against a real Redis.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ApprovalRequest } from '../../../src/approvals/approval-request.ts';
import { createApprovalStore } from '../../../src/approvals/approval-store.ts';
import { durationMs, openApproval } from '../../../src/approvals/open-approval.ts';
import { sweepExpired } from '../../../src/approvals/sweep-expired.ts';
import { testSealer } from '../../support/bot.ts';

let redis: Redis;
const prefix = `coxswain:test-open-${randomBytes(4).toString('hex')}`;
beforeAll(() => {
  redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

const rule = {
  namespaces: ['prod'],
  verbs: ['deploy' as const],
  deployments: ['*'],
  approvers: { roles: ['approver'] },
  required: 1,
  expiresAfter: '30m',
  allowSelfApproval: false,
};
const held = {
  actor: { userId: 'U0ALICE', userName: 'alice', teamId: 'T1', channelId: 'C0OPS' },
  command: 'deploy',
  input: { deployment: 'web', image: 'x:2', namespace: 'prod' },
  description: 'deploy web to x:2 in prod',
  target: { namespace: 'prod', deployment: 'web' },
};

describe('openApproval and the expiry sweep', () => {
  it('stores the request with its card and queues the plan; the sweep expires it once and redraws the card', async () => {
    const store = createApprovalStore(redis, prefix, testSealer());
    const planned: string[] = [];
    const now = Date.now();
    const opened = await openApproval(
      {
        store,
        postCard: async () => '1700000000.000100',
        enqueuePlan: async (r) => {
          planned.push(r.id);
        },
      },
      held,
      rule,
      now,
    );
    expect(opened).toMatchObject({
      cardTs: '1700000000.000100',
      state: 'planning',
      expiresAt: now + 30 * 60_000,
      approvers: { roles: ['approver'], users: [], groups: [] },
    });
    expect(planned).toEqual([opened.id]);

    const redrawn: ApprovalRequest[] = [];
    const sweepAt = (at: number): Promise<number> =>
      sweepExpired(
        {
          store,
          expired: async (r) => {
            redrawn.push(r);
          },
          log: () => undefined,
        },
        at,
      );
    expect(await sweepAt(now + 29 * 60_000)).toBe(0);
    expect(await sweepAt(now + 31 * 60_000)).toBe(1);
    expect(redrawn.map((r) => [r.id, r.state])).toEqual([[opened.id, 'expired']]);
    expect(await sweepAt(now + 32 * 60_000)).toBe(0);
  });

  it.each([
    ['30s', 30_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });
});
