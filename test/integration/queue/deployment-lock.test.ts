// The per-deployment lock against a real Redis: exclusive, released, renewed
// while held, and expiring on its own when its holder dies.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { AppError } from '../../../src/errors.ts';
import { acquireDeploymentLock, type LockHolder } from '../../../src/queue/deployment-lock.ts';

let redis: Redis;
const prefix = `coxswain:test-${randomBytes(4).toString('hex')}`;
const holder = (jobId: string) => ({ jobId, userId: 'U0ALICE', description: `deploy web (${jobId})` });

beforeAll(() => { redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'); });
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('acquireDeploymentLock', () => {
  it('lets the next holder in as soon as the first releases', async () => {
    const first = await acquireDeploymentLock(redis, { prefix, target: 'ns/a', holder: holder('1') });
    let told: LockHolder | undefined;
    const second = acquireDeploymentLock(redis, { prefix, target: 'ns/a', holder: holder('2'), onWait: (h) => { told = h; } });
    await new Promise((r) => setTimeout(r, 300));
    expect(told).toMatchObject({ jobId: '1', userId: 'U0ALICE' });
    const t0 = Date.now();
    await first.release();
    const lock = await second;
    expect(Date.now() - t0).toBeLessThan(1000);
    await lock.release();
    expect(await redis.exists(`${prefix}:lock:ns/a`)).toBe(0);
  });

  it('keeps a held lock alive past its lease by renewing it', async () => {
    const lock = await acquireDeploymentLock(redis, { prefix, target: 'ns/b', holder: holder('3'), leaseMs: 300 });
    await new Promise((r) => setTimeout(r, 900));
    expect(await redis.exists(`${prefix}:lock:ns/b`)).toBe(1);
    await lock.release();
  });

  it('expires on its own when the holder stops renewing (a crashed worker)', async () => {
    await redis.set(`${prefix}:lock:ns/c`, JSON.stringify({ ...holder('dead'), since: 'x', token: 'gone' }), 'PX', 300);
    const lock = await acquireDeploymentLock(redis, { prefix, target: 'ns/c', holder: holder('4') });
    await lock.release();
  });

  it('gives up after the bounded wait, naming who holds the lock', async () => {
    const held = await acquireDeploymentLock(redis, { prefix, target: 'ns/d', holder: holder('5') });
    const attempt = acquireDeploymentLock(redis, { prefix, target: 'ns/d', holder: holder('6'), maxWaitMs: 400 });
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toThrow(/ns\/d is locked by <@U0ALICE> \(deploy web \(5\), job 5\)/);
    await held.release();
  });

  it('never releases a lock that another holder took after it expired', async () => {
    const stale = await acquireDeploymentLock(redis, { prefix, target: 'ns/e', holder: holder('7'), leaseMs: 300 });
    await redis.del(`${prefix}:lock:ns/e`); // as if it had expired
    const fresh = await acquireDeploymentLock(redis, { prefix, target: 'ns/e', holder: holder('8') });
    await stale.release();
    expect(JSON.parse((await redis.get(`${prefix}:lock:ns/e`)) ?? '{}')).toMatchObject({ jobId: '8' });
    await fresh.release();
  });
});
