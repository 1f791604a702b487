// Slack allows about one message per second per channel. Every replica that
// delivers alerts takes a slot here first, so a storm queues up instead of
// running into 429s.
import type { Redis } from 'ioredis';

/** KEYS: the channel's slot. ARGV: interval ms. Returns 0 when taken, else the ms until it frees. */
const takeSlot = `
if redis.call('set', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return 0 end
local left = redis.call('pttl', KEYS[1])
if left < 1 then return 1 end
return left`;

/** A per-channel pace for posts and edits, shared through Redis. */
export interface ChannelGate {
  /** 0 when this call may post to `channel` now; otherwise how long to wait, in ms. */
  take(channel: string): Promise<number>;
  /** Holds the channel for `ms` (Slack answered 429 with Retry-After). */
  pause(channel: string, ms: number): Promise<void>;
}

/** Opens the gate under `prefix`. Default interval 1100 ms: a little under Slack's one per second. */
export function createChannelGate(redis: Redis, prefix: string, intervalMs = 1100): ChannelGate {
  const key = (channel: string): string => `${prefix}:alert-pace:${channel}`;
  return {
    take: async (channel) => Number(await redis.eval(takeSlot, 1, key(channel), intervalMs)),
    pause: async (channel, ms) => { await redis.set(key(channel), '1', 'PX', Math.max(1, Math.round(ms))); },
  };
}
