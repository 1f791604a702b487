// Slack's documented rate limits, enforced: a call over its limit is answered
// 429 with Retry-After, as Slack answers it. Off unless an emulator is started
// with `rateLimits` (most tests post in bursts on purpose and check other things).
//   chat.postMessage: "special tier", about 1 message per second per channel, short bursts allowed
//     (https://api.slack.com/docs/rate-limits: "Posting messages: 1 per second. Short bursts >1 allowed.")
//   chat.update: Tier 3, "50+ per minute", per method per app per workspace; "sporadic bursts are welcome".
// Each limit is a generic cell rate (GCRA, a token bucket without a timer): a call conforms when it comes no earlier
// than (its predecessors' theoretical arrival) − (burst − 1) × interval. Slack does not publish the burst sizes; the
// defaults here are deliberately small (3 posts per channel, 10 updates), so a bot that passes them passes Slack's.
import type { Clock } from '../../../src/console/in-process-slack/slack-types.ts';

/** One limit: a sustained interval between calls, and how many may come at once. */
export interface RateLimit {
  readonly intervalMs: number;
  readonly burst: number;
}

/** What the emulator enforces; a method left out is not limited. */
export interface RateLimitOptions {
  /** chat.postMessage (top level and thread replies alike), per channel. Default 1000 ms, burst 3. */
  readonly postMessagePerChannel?: RateLimit;
  /** chat.update, workspace-wide. Default 1200 ms (50 per minute), burst 10. */
  readonly update?: RateLimit;
}

export const slackPostLimit: RateLimit = { intervalMs: 1000, burst: 3 };
export const slackUpdateLimit: RateLimit = { intervalMs: 1200, burst: 10 };

/** The limits as cells; `check` answers the seconds to wait (Retry-After) or undefined when the call may go. */
export class RateLimits {
  readonly #post: RateLimit;
  readonly #update: RateLimit;
  readonly #clock: Clock;
  /** Theoretical arrival time per cell (`post:<channel>`, `update`). */
  readonly #tat = new Map<string, number>();
  /** How many calls were refused, per method. */
  readonly refused = new Map<string, number>();

  constructor(options: RateLimitOptions, clock: Clock) {
    this.#post = options.postMessagePerChannel ?? slackPostLimit;
    this.#update = options.update ?? slackUpdateLimit;
    this.#clock = clock;
  }

  /** Counts the call against its limit; the Retry-After (whole seconds, ≥ 1) when it is over, else undefined. */
  check(method: string, params: Readonly<Record<string, unknown>>): number | undefined {
    const cell =
      method === 'chat.postMessage' && typeof params['channel'] === 'string'
        ? { key: `post:${params['channel']}`, limit: this.#post }
        : method === 'chat.update'
          ? { key: 'update', limit: this.#update }
          : undefined;
    if (!cell) return undefined;
    const now = this.#clock.now();
    const tat = Math.max(this.#tat.get(cell.key) ?? now, now);
    const tolerance = (cell.limit.burst - 1) * cell.limit.intervalMs;
    if (tat - now > tolerance) {
      this.refused.set(method, (this.refused.get(method) ?? 0) + 1);
      return Math.max(1, Math.ceil((tat - tolerance - now) / 1000));
    }
    this.#tat.set(cell.key, tat + cell.limit.intervalMs);
    return undefined;
  }
}
