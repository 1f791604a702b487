// Alerts travel through a BullMQ queue of their own, so delivery is retried,
// survives restarts and runs in any worker replica, while the watcher never
// waits on Slack. An alert has at most one pending job (a flag in Redis): a crash
// loop changes its alert at every restart, and one job per change buried new
// alerts under thousands of stale ones. This is the producer (the watcher's);
// alert-delivery.ts consumes it.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { queuePrefix } from '../queue/job-queue.ts';
import { alertId } from './alert-record.ts';

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
  const promote = async (jobId: string): Promise<void> => {
    const job = await queue.getJob(jobId);
    // It may have woken meanwhile; then it reads the latest state anyway.
    if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
  };
  return {
    enqueue: async (key, version, urgent) => {
      const flag = pendingKey(keyPrefix, key);
      if ((await redis.set(flag, String(version), 'PX', 600_000, 'NX')) !== 'OK') {
        // The alert's job may be asleep in the delayed set until its edit's turn: a recovery or a new episode wakes it.
        if (urgent) await promote(`alert-${alertId(key)}-${(await redis.get(flag)) ?? ''}`);
        return;
      }
      await queue.add(
        'alert',
        { key, version },
        {
          jobId: `alert-${alertId(key)}-${version}`,
          priority: urgent ? 1 : 10,
          attempts: 8,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: { age: 3600, count: 5_000 },
          removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
        },
      );
    },
    counts: () => queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed'),
    close: () => queue.close(),
  };
}
