// Reading a bot's alert records straight from Redis. A test that clicks an
// alert's button waits until the bot has kept the message's ts, as a person
// would only click a message they have seen; the post itself is seen earlier.
import { Redis } from 'ioredis';
import { createAlertStore } from '../../src/alerts/alert-store.ts';
import { keyPrefix } from '../../src/queue/job-queue.ts';
import { waitUntil } from './cluster/processes.ts';

/** Waits until one of `cluster`'s firing alerts records the message `ts` as its own. */
export async function waitForAlertMessage(cluster: string, ts: string, timeoutMs = 10_000): Promise<void> {
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  try {
    const store = createAlertStore(redis, keyPrefix(cluster));
    const kept = async (): Promise<boolean> => {
      const records = await Promise.all((await store.firingKeys()).map((key) => store.get(key)));
      return records.some((r) => r?.message?.ts === ts);
    };
    await waitUntil(kept, { what: `alert message ${ts} kept in Redis`, timeoutMs });
  } finally {
    redis.disconnect();
  }
}
