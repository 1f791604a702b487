// Slack allows about one message per second per channel. Every replica that
// delivers alerts takes a slot here first, so a storm queues up instead of
// running into 429s.
import type { Redis } from 'ioredis';

/**
 * KEYS: the channel's slot, its claim. ARGV: interval ms, '1' for an urgent call.
 * Returns 0 when the slot is taken for this call, else the ms to wait. An urgent
 * call (a new alert, a recovery) that finds the slot busy claims the channel for
 * a moment, and edits stay away while a claim stands: new alerts go first.
 */
const takeSlot = `
if ARGV[2] == '0' and redis.call('exists', KEYS[2]) == 1 then
  local claimed = redis.call('pttl', KEYS[2])
  if claimed < 100 then return 100 end
  return claimed
end
if redis.call('set', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return 0 end
if ARGV[2] == '1' then redis.call('set', KEYS[2], '1', 'PX', 3000) end
local left = redis.call('pttl', KEYS[1])
if left < 1 then return 1 end
return left`;

/** A per-channel pace for posts and edits, shared through Redis. */
export interface ChannelGate {
  /** 0 when this call may post to `channel` now; otherwise how long to wait, in ms. Urgent calls go before edits. */
  take(channel: string, urgent: boolean): Promise<number>;
  /** Holds the channel for `ms` (Slack answered 429 with Retry-After). */
  pause(channel: string, ms: number): Promise<void>;
}

/** Opens the gate under `prefix`. Default interval 1200 ms: a little under Slack's one per second. */
export function createChannelGate(redis: Redis, prefix: string, intervalMs = 1200): ChannelGate {
  const key = (channel: string): string => `${prefix}:alert-pace:${channel}`;
  return {
    take: async (channel, urgent) =>
      Number(await redis.eval(takeSlot, 2, key(channel), `${key(channel)}:claim`, intervalMs, urgent ? '1' : '0')),
    pause: async (channel, ms) => {
      await redis.set(key(channel), '1', 'PX', Math.max(1, Math.round(ms)));
    },
  };
}
