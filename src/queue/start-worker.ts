// BullMQ glue around runJob: retryable failures are thrown as errors (BullMQ
// backs off and retries), the rest as UnrecoverableError (no retry); a job that
// waits in a deployment's line behind one not yet running is delayed.
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { JobPayload } from './job-payload.ts';
import { queueName, queuePrefix } from './job-queue.ts';
import { runJob, type JobRunnerDeps } from './run-job.ts';

/** Options of startWorker. */
export interface StartWorkerOptions {
  readonly cluster: string;
  /** Must allow blocking commands: maxRetriesPerRequest null (BullMQ's requirement for workers). */
  readonly connection: ConnectionOptions;
  /** Jobs run at once by this process. Default 8 (most jobs wait on watches, not CPU). */
  readonly concurrency?: number;
  /**
   * BullMQ's lockDuration: renewed every half of it while a job runs. A lost worker's job is seen stalled (checked
   * every half of it) and run again by another worker after 1–1.5× it. Default 60 s (COXSWAIN_JOB_LEASE).
   */
  readonly jobLeaseMs?: number;
}

/** Starts consuming the cluster's queue. close() waits for running jobs (graceful SIGTERM). */
export function startWorker(deps: JobRunnerDeps, options: StartWorkerOptions): Worker<JobPayload> {
  const processor = async (job: Job<JobPayload>, token?: string, signal?: AbortSignal): Promise<void> => {
    const outcome = await runJob(deps, {
      id: job.id ?? 'unknown',
      data: job.data,
      attempt: job.attemptsMade + 1,
      maxAttempts: job.opts.attempts ?? 1,
      signal: signal ?? new AbortController().signal,
      resumed: job.stalledCounter > 0,
    });
    if (outcome.kind === 'later') {
      // BullMQ's manual delay: the job leaves the slot without using an attempt.
      await job.moveToDelayed(Date.now() + outcome.delayMs, token);
      throw new DelayedError();
    }
    if (outcome.kind === 'retry') throw new Error(outcome.error.userMessage);
    if (outcome.kind === 'failed') throw new UnrecoverableError(outcome.error.userMessage);
  };
  const worker = new Worker<JobPayload>(queueName(options.cluster), processor, {
    connection: options.connection,
    prefix: queuePrefix,
    concurrency: options.concurrency ?? 8,
    lockDuration: options.jobLeaseMs ?? 60_000,
    stalledInterval: Math.floor((options.jobLeaseMs ?? 60_000) / 2),
  });
  worker.on('error', (error) => deps.log('error', 'worker connection error', { error: error.message }));
  return worker;
}
