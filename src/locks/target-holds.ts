// `/k8s lock`: a person holds a deployment or a whole namespace for a while
// (a release, an incident). Others' changes are refused, naming who holds it,
// since when and why; the holder can still act; holds expire by themselves.
// (Not to be confused with the per-deployment job lock in src/queue, which only
// keeps two jobs from interleaving.)
import type { Redis } from 'ioredis';

/** A hold on `target` ("prod" for a namespace, "prod/web" for a deployment). */
export interface Hold {
  readonly target: string;
  readonly userId: string;
  readonly reason?: string;
  readonly since: number;
  readonly until: number;
}

/** What taking a hold did. */
export type TakeOutcome = { readonly kind: 'taken'; readonly hold: Hold } | { readonly kind: 'held'; readonly hold: Hold };

/** The holds of one cluster. */
export interface HoldStore {
  /** Takes (or, for its holder, renews) a hold; reports the other holder otherwise. */
  take(hold: Hold): Promise<TakeOutcome>;
  /** Releases a hold; only its holder may. */
  release(target: string, userId: string): Promise<{ readonly kind: 'released' | 'not_held' } | { readonly kind: 'held'; readonly hold: Hold }>;
  /** The hold someone other than `userId` has on this namespace or deployment, if any. */
  blocking(namespace: string, deployment: string | undefined, userId: string): Promise<Hold | undefined>;
}

/** KEYS: hold. ARGV: json, ttl ms, user. Sets when free or held by the same user; else returns the current JSON. */
const takeScript = `
local current = redis.call('get', KEYS[1])
if current and cjson.decode(current).userId ~= ARGV[3] then return current end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

/** KEYS: hold. ARGV: user. Deletes when held by the user; returns the JSON of another holder, 1 when deleted, 0 when free. */
const releaseScript = `
local current = redis.call('get', KEYS[1])
if not current then return 0 end
if cjson.decode(current).userId ~= ARGV[1] then return current end
redis.call('del', KEYS[1])
return 1`;

/** Opens the store under `prefix` (e.g. coxswain:prod). */
export function createHoldStore(redis: Redis, prefix: string): HoldStore {
  const key = (target: string): string => `${prefix}:hold:${target}`;
  const read = async (target: string): Promise<Hold | undefined> => {
    const raw = await redis.get(key(target));
    return raw ? (JSON.parse(raw) as Hold) : undefined;
  };
  return {
    take: async (hold) => {
      const ttl = Math.max(1000, hold.until - Date.now());
      const other = await redis.eval(takeScript, 1, key(hold.target), JSON.stringify(hold), ttl, hold.userId) as string | null;
      return other ? { kind: 'held', hold: JSON.parse(other) as Hold } : { kind: 'taken', hold };
    },
    release: async (target, userId) => {
      const result = await redis.eval(releaseScript, 1, key(target), userId) as string | number;
      if (typeof result === 'string') return { kind: 'held', hold: JSON.parse(result) as Hold };
      return { kind: result === 1 ? 'released' : 'not_held' };
    },
    blocking: async (namespace, deployment, userId) => {
      const holds = await Promise.all([read(namespace), deployment ? read(`${namespace}/${deployment}`) : undefined]);
      return holds.find((h) => h !== undefined && h.userId !== userId);
    },
  };
}

/** "held by <@U0BOB> since 10:02 until 12:02: release 4.2" — for refusals. */
export function describeHold(hold: Hold): string {
  const time = (ms: number): string => `${new Date(ms).toISOString().slice(11, 16)} UTC`;
  return `${hold.target} is locked by <@${hold.userId}> since ${time(hold.since)} until ${time(hold.until)}${hold.reason ? `: ${hold.reason}` : ''}`;
}
