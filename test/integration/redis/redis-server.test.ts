// The Redis ground: the shared server the suite runs against, and private servers
// for tests that stop Redis or need it to persist across a restart.
import { afterAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pingRedis, startPrivateRedis, type PrivateRedis } from '../../support/redis-server.ts';

describe('the shared Redis', () => {
  it('answers at REDIS_URL, which the global setup exported', async () => {
    const url = process.env['REDIS_URL'];
    expect(url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await pingRedis(url ?? '')).toBe(true);
  });
});

describe('a private redis-server with AOF', () => {
  let redis: PrivateRedis | undefined;
  afterAll(async () => {
    await redis?.destroy();
  });

  it('keeps data across a restart on the same port, and is unreachable while stopped', async () => {
    redis = await startPrivateRedis();
    const key = `coxswain:test:${randomBytes(4).toString('hex')}`;
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    await client.set(key, 'kept');
    await client.quit();

    await redis.stop();
    expect(await pingRedis(redis.url)).toBe(false);
    await redis.start();

    const again = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    expect(await again.get(key)).toBe('kept');
    await again.quit();
  });
});
