// How much one person, and one channel, may ask of Coxswain: token buckets in
// Redis (so every gateway replica counts together), and a bound on the jobs one
// person has queued or running. A Slack user who floods /k8s (or a script with
// a stolen session) slows nobody else down and fills no queue.
import type { Redis } from 'ioredis';
import { evalScript } from '../redis-script.ts';

/** A token bucket: `capacity` requests at once, refilled at `capacity` per `perMs`. */
export interface BucketRate {
  readonly capacity: number;
  readonly perMs: number;
}

/** What the rate check found: go ahead, or wait this long because of that bucket. */
export type RateVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly limitedBy: 'user' | 'channel' };

/**
 * KEYS: user bucket, channel bucket. ARGV: now, user capacity, user period, channel capacity, channel period
 * (a capacity of 0 means no bucket). Both buckets must hold a token; only then is one taken from each, so a
 * refused request costs nothing. Returns {0} or {wait ms, 1 (user) | 2 (channel)}.
 */
const takeScript = `
local now = tonumber(ARGV[1])
local level = {}
for i = 1, 2 do
  local cap = tonumber(ARGV[i * 2])
  if cap > 0 then
    local per = tonumber(ARGV[i * 2 + 1])
    local b = redis.call('hmget', KEYS[i], 'tokens', 'at')
    local tokens = tonumber(b[1]) or cap
    local at = tonumber(b[2]) or now
    tokens = math.min(cap, tokens + math.max(0, now - at) * cap / per)
    if tokens < 1 then return {math.ceil((1 - tokens) * per / cap), i} end
    level[i] = tokens
  end
end
for i = 1, 2 do
  if level[i] then
    redis.call('hset', KEYS[i], 'tokens', level[i] - 1, 'at', now)
    redis.call('pexpire', KEYS[i], tonumber(ARGV[i * 2 + 1]))
  end
end
return {0}`;

/** Options of createRequestLimits. */
export interface RequestLimitsOptions {
  readonly prefix: string;
  /** Per person; absent: no limit. */
  readonly user?: BucketRate;
  /** Per channel; absent: no limit. */
  readonly channel?: BucketRate;
  /** Jobs one person may have queued or running at once. */
  readonly maxQueuedPerUser: number;
  readonly now?: () => number;
}

/** The request limits of one cluster's gateway and workers. */
export interface RequestLimits {
  /** Takes a token from the person's and the channel's buckets, or says how long to wait. */
  take(userId: string, channelId: string): Promise<RateVerdict>;
  /** How many of the person's jobs are queued or running, and whether one more is allowed. */
  queued(userId: string): Promise<{ readonly count: number; readonly allowed: boolean }>;
  /** Counts a job the person now has in the queue. */
  jobQueued(userId: string, jobId: string): Promise<void>;
  /** The job has ended (done, failed for good, refused): it no longer counts. */
  jobEnded(userId: string, jobId: string): Promise<void>;
  /**
   * Whether this refusal is the first of its kind for this person in the last minute (the rest are not recorded one by
   * one).
   */
  firstRefusal(userId: string, what: string): Promise<boolean>;
}

/**
 * A job older than this no longer counts, whatever became of it: a worker lost before it could say so must not block
 * the person for good.
 */
const queuedJobMaxAgeMs = 6 * 3_600_000;

/** A bucket's capacity and period as the script takes them; capacity 0: no bucket. */
const bucketArgs = (rate: BucketRate | undefined): [number, number] => (rate ? [rate.capacity, rate.perMs] : [0, 1]);

/** Opens the limits under `prefix` (e.g. coxswain:prod). */
export function createRequestLimits(redis: Redis, options: RequestLimitsOptions): RequestLimits {
  const now = options.now ?? Date.now;
  const queuedKey = (userId: string): string => `${options.prefix}:queued:${userId}`;
  return {
    take: async (userId, channelId) => {
      if (!options.user && !options.channel) return { allowed: true };
      const [wait = 0, which = 1] = (await evalScript(
        redis,
        takeScript,
        2,
        `${options.prefix}:rate:user:${userId}`,
        `${options.prefix}:rate:channel:${channelId}`,
        now(),
        ...bucketArgs(options.user),
        ...bucketArgs(options.channel),
      )) as number[];
      return wait === 0
        ? { allowed: true }
        : { allowed: false, retryAfterMs: wait, limitedBy: which === 1 ? 'user' : 'channel' };
    },
    queued: async (userId) => {
      const key = queuedKey(userId);
      const replies = await redis
        .multi()
        .zremrangebyscore(key, 0, now() - queuedJobMaxAgeMs)
        .zcard(key)
        .exec();
      const count = Number(replies?.[1]?.[1] ?? 0);
      return { count, allowed: count < options.maxQueuedPerUser };
    },
    jobQueued: async (userId, jobId) => {
      await redis
        .multi()
        .zadd(queuedKey(userId), now(), jobId)
        .expire(queuedKey(userId), queuedJobMaxAgeMs / 1000)
        .exec();
    },
    jobEnded: async (userId, jobId) => {
      await redis.zrem(queuedKey(userId), jobId);
    },
    firstRefusal: async (userId, what) =>
      (await redis.set(`${options.prefix}:refused:${what}:${userId}`, '1', 'EX', 60, 'NX')) === 'OK',
  };
}

/** "12 s", "3 min": how long to wait, for the refusal. */
export function describeWait(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.ceil(s / 60)} min`;
}
