// Alerts travel through a BullMQ queue of their own, so delivery is retried,
// survives restarts and runs in any worker replica, while the watcher never
// waits on Slack. An alert has at most one pending job (a flag in Redis): a crash
// loop changes its alert at every restart, and one job per change buried new
// alerts under thousands of stale ones. Delivery always sends the latest version;
// the job clears the flag before its last look, so no change is left unsent.
import { DelayedError, Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { queuePrefix } from '../queue/job-queue.ts';
import { alertId } from './alert-store.ts';
import { deliverAlert, type AlertDeliveryDeps } from './deliver-alert.ts';

/** The alert queue of a cluster; a cluster name is a DNS label, so the dot cannot collide with one. */
export function alertQueueName(cluster: string): string {
  return `${cluster}.alerts`;
}

/** What an alert job carries. */
export interface AlertJobData {
  readonly key: string;
  readonly version: number;
}

/** The producer side, used by the watcher. */
export interface AlertQueue {
  /** `urgent` (a new alert, a recovery) goes before edits of counts. */
  enqueue(key: string, version: number, urgent: boolean): Promise<void>;
  /** Jobs by state, for /metrics. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** The flag that says an alert already has a job on its way; it expires in case a process dies holding it. */
export const pendingKey = (keyPrefix: string, key: string): string => `${keyPrefix}:alert-pending:${alertId(key)}`;

/** Opens the producer for `cluster`; `redis` holds the pending flags under `keyPrefix`. */
export function createAlertQueue(cluster: string, redis: Redis, keyPrefix: string): AlertQueue {
  const queue = new Queue<AlertJobData>(alertQueueName(cluster), { connection: redis, prefix: queuePrefix });
  return {
    enqueue: async (key, version, urgent) => {
      if ((await redis.set(pendingKey(keyPrefix, key), String(version), 'PX', 600_000, 'NX')) !== 'OK') return;
      await queue.add('alert', { key, version }, {
        jobId: `alert-${alertId(key)}-${version}`,
        priority: urgent ? 1 : 10,
        attempts: 8,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: 3600, count: 5_000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
      });
    },
    counts: () => queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed'),
    close: () => queue.close(),
  };
}

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
        await options.redis.eval(releaseLock, 1, lock, mine);
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
    if (record && record.version > (record.deliveredVersion ?? 0)) await options.queue.enqueue(key, record.version, !record.message);
  };
  const worker = new Worker<AlertJobData>(alertQueueName(options.cluster), processor, {
    connection: options.connection, prefix: queuePrefix, concurrency: options.concurrency ?? 4, lockDuration: 60_000,
  });
  worker.on('error', (error) => deps.log('error', 'alert delivery connection error', { error: error.message }));
  worker.on('failed', (job, error) => {
    deps.log('warn', 'alert delivery failed', { alert: job?.data.key, attempt: job?.attemptsMade, error: error.message });
    // Out of attempts: free the alert, so its next change can try again.
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) void finish(job.data.key).catch(() => undefined);
  });
  return worker;
}
