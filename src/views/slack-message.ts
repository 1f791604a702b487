import type { KnownBlock } from '@slack/types';

/**
 * What every view returns: the blocks people see, and a `text` fallback that Slack uses for notifications, screen
 * readers and clients that cannot draw blocks. `text` is never empty, because Slack rejects a message without text
 * or blocks and a blank notification tells nobody anything.
 */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: KnownBlock[];
}
