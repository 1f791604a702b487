// The consumer of the alert queue (every worker replica runs one): one alert is
// delivered by one job at a time, under a lock of its own in Redis. Delivery
// always sends the latest version; the job clears the alert's pending flag
// before its last look, so no change is left unsent.
import { DelayedError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { queuePrefix } from '../queue/job-queue.ts';
import { alertQueueName, pendingKey, type AlertJobData, type AlertQueue } from './alert-queue.ts';
import { alertId } from './alert-record.ts';
import { deliverAlert, type AlertDeliveryDeps } from './deliver-alert.ts';
import { evalScript } from '../redis-script.ts';

/** KEYS: lock. ARGV: token. Releases only our own lock. */
const releaseLock = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/** Options of startAlertDelivery. */
export interface AlertDeliveryOptions {
  readonly cluster: string;
  /** For BullMQ (maxRetriesPerRequest null). */
  readonly connection: ConnectionOptions;
  /** For the per-alert lock and pending flag. */
  readonly redis: Redis;
  /** To queue an alert again when it changed while its job was finishing. */
  readonly queue: Pick<AlertQueue, 'enqueue'>;
  readonly keyPrefix: string;
  /** Alerts delivered at once by this process. Default 4. */
  readonly concurrency?: number;
}

/**
 * Consumes the alert queue. One alert is delivered by one job at a time (a lock
 * in Redis); a job that finds the lock taken or its channel's pace spent waits
 * in the delayed set instead of holding a worker slot.
 */
export function startAlertDelivery(deps: AlertDeliveryDeps, options: AlertDeliveryOptions): Worker<AlertJobData> {
  const processor = async (job: Job<AlertJobData>, token?: string): Promise<void> => {
    const lock = `${options.keyPrefix}:alert-lock:${alertId(job.data.key)}`;
    const mine = randomUUID();
    const taken = await options.redis.set(lock, mine, 'PX', 60_000, 'NX');
    let outcome: Awaited<ReturnType<typeof deliverAlert>> = { kind: 'later', afterMs: 250 };
    if (taken === 'OK') {
      try {
        outcome = await deliverAlert(deps, job.data.key);
      } finally {
        await evalScript(options.redis, releaseLock, 1, lock, mine);
      }
    }
    if (outcome.kind === 'later') {
      await job.moveToDelayed(Date.now() + outcome.afterMs, token);
      throw new DelayedError();
    }
    await finish(job.data.key);
  };
  /** Clears the flag, then looks once more: a change that came in meanwhile gets a job of its own. */
  const finish = async (key: string): Promise<void> => {
    await options.redis.del(pendingKey(options.keyPrefix, key));
    const record = await deps.store.get(key);
    if (record && record.version > (record.deliveredVersion ?? 0))
      await options.queue.enqueue(key, record.version, !record.message);
  };
  const worker = new Worker<AlertJobData>(alertQueueName(options.cluster), processor, {
    connection: options.connection,
    prefix: queuePrefix,
    concurrency: options.concurrency ?? 4,
    lockDuration: 60_000,
  });
  worker.on('error', (error) => deps.log('error', 'alert delivery connection error', { error: error.message }));
  worker.on('failed', (job, error) => {
    deps.log('warn', 'alert delivery failed', {
      alert: job?.data.key,
      attempt: job?.attemptsMade,
      error: error.message,
    });
    // Out of attempts: free the alert, so its next change can try again.
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) void finish(job.data.key).catch(() => undefined);
  });
  return worker;
}
