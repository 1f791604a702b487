import type { JobStatusView } from '../views/job-status-view.ts';
import type { SlackMessage } from '../views/slack-message.ts';

/**
 * How a job talks back to Slack: it edits its thread root and replies in the
 * thread. An interface so the job runner is tested without Slack. Its methods never
 * throw: a message that cannot be posted is logged, and the job's outcome stands.
 */
export interface JobMessenger {
  /** Edits the thread root to show this state. */
  updateRoot(view: JobStatusView): Promise<void>;
  /** Posts a reply in the job's thread. */
  reply(message: SlackMessage): Promise<void>;
}
