// The per-deployment lock against a real Redis: exclusive, released, renewed
// while held, and expiring on its own when its holder dies; and the line in front
// of it, with real BullMQ jobs: the order of the claims, whatever order the
// workers pick the jobs up in.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { AppError } from '../../../src/errors.ts';
import { acquireDeploymentLock, WaitInLine, type LockHolder } from '../../../src/queue/deployment-lock.ts';
import { claimRequest, releaseRequest, type ClaimOptions } from '../../../src/queue/request-claims.ts';

let redis: Redis;
const queueName = `test-${randomBytes(4).toString('hex')}`;
// As keyPrefix(cluster) is for the product: BullMQ's prefix and queue name, so the line can read the jobs' state.
const prefix = `coxswain:${queueName}`;
const holder = (jobId: string) => ({ jobId, userId: 'U0ALICE', description: `deploy web (${jobId})` });

beforeAll(() => {
  redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('acquireDeploymentLock', () => {
  it('lets the next holder in as soon as the first releases', async () => {
    const first = await acquireDeploymentLock(redis, { prefix, target: 'ns/a', holder: holder('1') });
    let told: LockHolder | undefined;
    const second = acquireDeploymentLock(redis, {
      prefix,
      target: 'ns/a',
      holder: holder('2'),
      onWait: (h) => {
        told = h;
      },
    });
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

describe('the line in front of the lock', () => {
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const connection = { url: redisUrl, maxRetriesPerRequest: null };
  const claim = (jobId: string, line: string): ClaimOptions => ({
    prefix,
    jobId,
    userId: 'U0ALICE',
    channelId: 'C0OPS',
    text: `scale ${jobId}`,
    line,
  });

  /**
   * A worker of `concurrency` slots, glued like start-worker.ts: takes the lock,
   * records the turn, holds it 50 ms; a job told to wait in line is delayed.
   */
  function startLineWorker(concurrency: number, turns: string[], fail: ReadonlySet<string> = new Set()): Worker {
    return new Worker(
      queueName,
      async (job: Job<{ target: string }>, token?: string) => {
        if (fail.has(job.name)) throw new UnrecoverableError('fails before its turn');
        try {
          const lock = await acquireDeploymentLock(redis, {
            prefix,
            target: job.data.target,
            holder: holder(job.id ?? ''),
          });
          turns.push(job.name);
          await sleep(50);
          await lock.release();
        } catch (error) {
          if (!(error instanceof WaitInLine)) throw error;
          await job.moveToDelayed(Date.now() + 100, token);
          throw new DelayedError();
        }
      },
      { connection, prefix: 'coxswain', concurrency },
    );
  }

  async function drained(queue: Queue): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed');
      if (counts['waiting'] === 0 && counts['active'] === 0 && counts['delayed'] === 0) return;
      await sleep(50);
    }
    throw new Error('the queue did not drain in 20 s');
  }

  it('gives the deployment to its jobs in the order they were claimed, though they reach the queue the other way round', async () => {
    const queue = new Queue(queueName, { connection, prefix: 'coxswain' });
    const names = ['j1', 'j2', 'j3', 'j4', 'j5'];
    for (const name of names) expect(await claimRequest(redis, claim(`${name}-a`, 'ns/line-a'))).toBe('new');
    // Enqueued last-claimed first, so a worker picks them up out of turn: it must not act out of turn.
    for (const name of [...names].reverse()) await queue.add(name, { target: 'ns/line-a' }, { jobId: `${name}-a` });
    const turns: string[] = [];
    const workers = [startLineWorker(3, turns), startLineWorker(3, turns)];
    try {
      await drained(queue);
      expect(turns).toEqual(names);
      expect(await redis.exists(`${prefix}:line:ns/line-a`, `${prefix}:lock:ns/line-a`)).toBe(0);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await queue.close();
    }
  });

  it('does not wait for a job that failed before its turn, nor for a claim the gateway let go or never queued', async () => {
    const queue = new Queue(queueName, { connection, prefix: 'coxswain' });
    for (const id of ['released', 'abandoned', 'k1-b', 'k2-b', 'k3-b'])
      await claimRequest(redis, claim(id, 'ns/line-b'));
    await releaseRequest(redis, claim('released', 'ns/line-b'));
    // A gateway that died between claim and enqueue: its claim is older than the line's grace (3 min).
    await redis.set(`${prefix}:request:abandoned`, String(Date.now() - 200_000));
    for (const name of ['k1', 'k2', 'k3']) await queue.add(name, { target: 'ns/line-b' }, { jobId: `${name}-b` });
    const turns: string[] = [];
    const worker = startLineWorker(2, turns, new Set(['k1']));
    try {
      await drained(queue);
      expect(turns).toEqual(['k2', 'k3']);
      expect(await redis.exists(`${prefix}:line:ns/line-b`)).toBe(0);
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('keeps waiting for a claim the gateway is still queueing, and for a job that failed and will be retried', async () => {
    await claimRequest(redis, claim('posting', 'ns/line-c'));
    await expect(
      acquireDeploymentLock(redis, { prefix, target: 'ns/line-c', holder: holder('behind') }),
    ).rejects.toBeInstanceOf(WaitInLine);
    await redis.zrem(`${prefix}:line:ns/line-c`, 'posting', 'behind');

    const first = await acquireDeploymentLock(redis, { prefix, target: 'ns/line-c', holder: holder('retried') });
    await first.release({ keepPlace: true });
    await redis.hset(`${prefix}:retried`, 'name', 'retried'); // a BullMQ job hash without finishedOn: backing off
    const behind = acquireDeploymentLock(redis, { prefix, target: 'ns/line-c', holder: holder('next') });
    await expect(behind).rejects.toBeInstanceOf(WaitInLine);
    await expect(behind).rejects.toMatchObject({ ahead: 1 });
    const again = await acquireDeploymentLock(redis, { prefix, target: 'ns/line-c', holder: holder('retried') });
    await again.release();
    await (await acquireDeploymentLock(redis, { prefix, target: 'ns/line-c', holder: holder('next') })).release();
  });
});
