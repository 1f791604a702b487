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
  /** Posts a reply in the job's thread that only the person who asked sees (ephemeral). */
  replyPrivately(message: SlackMessage): Promise<void>;
}

/**
 * The same messenger, one call at a time in the order they were made. A job's
 * edits are not all awaited where they are made (the "waiting for the lock"
 * edit, progress), and Slack's client retries each call on its own schedule:
 * without this, an edit Slack refused for a while landed after later ones, even
 * after the ✅ (test/resilience/slack-errors.test.ts).
 */
export function inOrder(messenger: JobMessenger): JobMessenger {
  let last: Promise<void> = Promise.resolve();
  const enqueue = (send: () => Promise<void>): Promise<void> => {
    last = last.then(send).catch(() => undefined);
    return last;
  };
  return {
    updateRoot: (view) => enqueue(() => messenger.updateRoot(view)),
    reply: (message) => enqueue(() => messenger.reply(message)),
    replyPrivately: (message) => enqueue(() => messenger.replyPrivately(message)),
  };
}
