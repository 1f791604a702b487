/**
 * Slack's Block Kit limits (slack-wire.md §4.2) and the budgets views keep under them. Slack counts characters as
 * code points of the string that is sent, so `&lt;` counts as four.
 */
export const slackLimits = {
  /** Blocks in one message. */
  blocks: 50,
  /** `text` of a section block. */
  sectionText: 3000,
  /** `text` of a header block (plain_text only). */
  headerText: 150,
  /** Text objects in a context block. */
  contextElements: 10,
  /**
   * Text across all blocks. Slack's undocumented `msg_blocks_too_long` starts at about 12,000 characters "with a buffer
   * for block containers" (bolt-js #2509), so views stay a good margin below it.
   */
  totalText: 11_000,
  /** The top-level `text` fallback: a notification line, not a document (Slack's recommendation is ≤ 4,000). */
  fallbackText: 600,
} as const;

/** Length as Slack counts it: code points, not UTF-16 units. */
export function charCount(text: string): number {
  return Array.from(text).length;
}
