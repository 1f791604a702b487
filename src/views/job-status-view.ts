/** Where a job is in its life, as the channel sees it. */
export type JobState = 'queued' | 'waiting' | 'running' | 'succeeded' | 'failed';

/**
 * What the job's thread-root message shows. The worker builds it from the job and edits the message in place as the
 * job moves, so the channel keeps one line per job instead of a stream of updates.
 */
export interface JobStatusView {
  /** Slack user id of whoever asked, shown as a mention. */
  readonly requester: string;
  /** What the job does, e.g. "deploy checkout to ghcr.io/acme/checkout:1.4.2 in staging". */
  readonly description: string;
  /** The cluster's name; shown only when set, which is when more than one cluster shares the Slack app. */
  readonly cluster?: string;
  readonly state: JobState;
  /**
   * What is happening now, e.g. "2/3 updated · 1/3 available" or "waiting for the lock on staging/checkout held by
   * <@U0BOB> (deploy, job 12)". User mentions in it are kept; shown only while the job is not finished.
   */
  readonly detail?: string;
  /** How long the job ran; shown once it has finished. */
  readonly durationMs?: number;
  /** Short failure reason; the thread holds the details. */
  readonly reason?: string;
  /** The job's id, for audit references. */
  readonly jobId?: string;
}
