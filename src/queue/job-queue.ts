// The queue of one cluster's jobs. BullMQ keys live under `coxswain:<cluster>:`,
// so one Redis can carry several clusters, each drained by its own workers.
import { Queue, type ConnectionOptions } from 'bullmq';
import type { Sealer } from '../seal/sealer.ts';
import type { JobPayload, SealedJob } from './job-payload.ts';

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

/**
 * What a job's seal covers: its id (so a sealed payload cannot be queued again under another), when, and the payload.
 */
export function sealedContent(jobId: string, at: number, payload: unknown): unknown {
  return { jobId, at, payload };
}

/**
 * Opens the producer side. `connection` should fail fast (no offline queue) so the gateway can answer in time.
 * Every job is sealed with `sealer`: the worker runs only jobs sealed by the bot.
 */
export function createJobQueue(cluster: string, connection: ConnectionOptions, sealer: Pick<Sealer, 'seal'>): JobQueue {
  const queue = new Queue<SealedJob>(queueName(cluster), { connection, prefix: queuePrefix });
  return {
    enqueue: async (jobId, payload) => {
      const at = Date.now();
      // The payload as it will be read back: JSON drops undefined fields, so the seal is made over the same bytes.
      const data = JSON.parse(JSON.stringify(payload)) as JobPayload;
      await queue.add(
        payload.command,
        { ...data, seal: { ...sealer.seal('job', sealedContent(jobId, at, data)), at } },
        {
          jobId,
          attempts: jobAttempts,
          backoff: jobBackoff,
          removeOnComplete: { age: 24 * 3600, count: 10_000 },
          removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
        },
      );
    },
    counts: () => queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed'),
    close: () => queue.close(),
  };
}
