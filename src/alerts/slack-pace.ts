// Slack's limits, kept by every replica that delivers alerts, through Redis
// (https://api.slack.com/docs/rate-limits). Posting is paced per channel (about
// one message a second, short bursts allowed); chat.update is a method tier of
// its own, counted per workspace (Tier 3: 50+ a minute). So an edit never takes
// a channel's posting slot: a new alert does not wait behind edits of old ones.
// Edits share a workspace-wide budget, served first come first served by
// reservation (an edit that must wait gets a time of its own and sleeps in the
// delayed set until then, instead of racing the others for every free slot);
// recoveries have a small budget of their own, so count edits never hold them up.
import type { Redis } from 'ioredis';
import { evalScript } from '../redis-script.ts';

/**
 * One cell of a generic cell rate algorithm (a token bucket without a timer) on Redis' clock.
 * KEYS: the cell's theoretical arrival time, a reservation. ARGV: interval ms, tolerance ms, mode.
 * take: 0 if the call may go now (and counts it), else the ms until it may. reserve: the same, but a call that must
 * wait is given the next free time, kept under KEYS[2] and honoured when it comes back.
 */
const cell = `
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval, tolerance, mode = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local stored = tonumber(redis.call('get', KEYS[1]) or '0')
if mode == 'reserve' then
  local held = redis.call('get', KEYS[2])
  if held then
    local left = tonumber(held) - now
    if left > 0 then return left end
    redis.call('del', KEYS[2])
    return 0
  end
end
local tat = math.max(stored, now)
local at = tat - tolerance
if mode == 'take' and at > now then return at - now end
redis.call('set', KEYS[1], tat + interval, 'PX', tat + interval - now + 1000)
if at <= now then return 0 end
redis.call('set', KEYS[2], at, 'PX', at - now + 60000)
return at - now`;

/** A sustained interval between calls, and how many may go at once. */
export interface PaceLimit {
  readonly intervalMs: number;
  readonly burst: number;
}

/**
 * The budgets, each stricter than Slack's documented limit with a margin for network jitter, and together leaving
 * room in chat.update's tier for commands' own edits: posts 1 per 1.1 s per channel, bursts of 2 (Slack: 1 per s,
 * short bursts); count edits 25 a minute, bursts of 3, plus recoveries 10 a minute, bursts of 3 (Slack: 50+ a minute
 * for the workspace).
 */
export const slackPace = {
  post: { intervalMs: 1100, burst: 2.6 },
  edit: { intervalMs: 2400, burst: 3 },
  recovery: { intervalMs: 6000, burst: 3 },
} as const satisfies Record<string, PaceLimit>;

/** Which budget a call spends. */
export type PaceLane = 'post' | 'edit' | 'recovery';

/** A per-channel pace for posts and a workspace-wide one for edits, shared through Redis. */
export interface SlackPace {
  /**
   * 0 when the call may go now; otherwise how long to wait, in ms. `channel` is the post's; `ticket` (an edit's alert
   * id) holds the edit's place in line while it waits.
   */
  take(lane: PaceLane, channel: string, ticket: string): Promise<number>;
}

/** Opens the pace under `prefix` (a cluster's key prefix). */
export function createSlackPace(
  redis: Redis,
  prefix: string,
  limits: Record<PaceLane, PaceLimit> = slackPace,
): SlackPace {
  const key = (lane: PaceLane, channel: string): string =>
    lane === 'post' ? `${prefix}:slack-pace:post:${channel}` : `${prefix}:slack-pace:${lane}`;
  return {
    take: async (lane, channel, ticket) => {
      const { intervalMs, burst } = limits[lane];
      const tolerance = Math.round((burst - 1) * intervalMs);
      const reservation = `${prefix}:slack-pace:ticket:${ticket}`;
      const mode = lane === 'edit' ? 'reserve' : 'take';
      return Number(await evalScript(redis, cell, 2, key(lane, channel), reservation, intervalMs, tolerance, mode));
    },
  };
}
