// The queue of one cluster's jobs. BullMQ keys live under `coxswain:<cluster>:`,
// so one Redis can carry several clusters, each drained by its own workers.
import { Queue, type ConnectionOptions } from 'bullmq';
import type { JobPayload } from './job-payload.ts';

/** BullMQ's key prefix for every Coxswain queue. */
export const queuePrefix = 'coxswain';

/** Attempts and backoff of every job: retryable failures only (see AppError.retryable). */
export const jobAttempts = 3;
export const jobBackoff = { type: 'exponential', delay: 2000 } as const;

/** The queue name of a cluster: the cluster name itself, under queuePrefix. */
export function queueName(cluster: string): string {
  return cluster;
}

/** Where Coxswain's own keys (locks, claims) live for a cluster. */
export function keyPrefix(cluster: string): string {
  return `${queuePrefix}:${cluster}`;
}

/** A producer for one cluster's queue. */
export interface JobQueue {
  /** Adds a job; adding the same id twice keeps the first (idempotency). */
  enqueue(jobId: string, payload: JobPayload): Promise<void>;
  /** Jobs by state (waiting, active, delayed, failed), for /metrics. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** Opens the producer side. `connection` should fail fast (no offline queue) so the gateway can answer in time. */
export function createJobQueue(cluster: string, connection: ConnectionOptions): JobQueue {
  const queue = new Queue<JobPayload>(queueName(cluster), { connection, prefix: queuePrefix });
  return {
    enqueue: async (jobId, payload) => {
      await queue.add(payload.command, payload, {
        jobId,
        attempts: jobAttempts,
        backoff: jobBackoff,
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
      });
    },
    counts: () => queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed'),
    close: () => queue.close(),
  };
}
