// `/k8s lock`: a person holds a deployment or a whole namespace for a while
// (a release, an incident). Others' changes are refused, naming who holds it,
// since when and why; the holder can still act; holds expire by themselves and
// last at most a configured lifetime from when they were first taken, however
// often they are renewed; someone the policy lets `break` can end one early.
// (Not to be confused with the per-deployment job lock in src/queue, which only
// keeps two jobs from interleaving.)
import type { Redis } from 'ioredis';
import { evalScript } from '../redis-script.ts';

/** Where a hold was announced: its message is the thread where the holder hears what happens to it. */
export interface HoldMessage {
  readonly channel: string;
  readonly ts: string;
}

/** A hold on `target` ("prod" for a namespace, "prod/web" for a deployment). */
export interface Hold {
  readonly target: string;
  readonly userId: string;
  readonly reason?: string;
  /** When the holder first took it: renewals keep it, so the lifetime cap counts from here. */
  readonly since: number;
  readonly until: number;
  /** The channel it was taken in. */
  readonly channel?: string;
  /** The channel message that announces it, once posted. */
  readonly message?: HoldMessage;
}

/** What taking a hold did; `capped` when the lifetime cap cut the requested end. */
export type TakeOutcome =
  | { readonly kind: 'taken' | 'renewed'; readonly hold: Hold; readonly capped: boolean }
  | { readonly kind: 'held'; readonly hold: Hold };

/** What releasing a hold did. */
export type ReleaseOutcome =
  | { readonly kind: 'released'; readonly hold: Hold }
  | { readonly kind: 'not_held' }
  | { readonly kind: 'held'; readonly hold: Hold };

/** The holds of one cluster. */
export interface HoldStore {
  /** Takes (or, for its holder, renews within the lifetime cap) a hold; reports the other holder otherwise. */
  take(hold: Hold): Promise<TakeOutcome>;
  /** Releases a hold; only its holder may. */
  release(target: string, userId: string): Promise<ReleaseOutcome>;
  /** Ends whoever's hold it is (the caller has checked the `break` verb); the hold that was ended, if any. */
  break(target: string): Promise<Hold | undefined>;
  /** Records the message announcing a hold, if the hold is still the one announced. */
  setMessage(hold: Hold, message: HoldMessage): Promise<void>;
  /** The hold someone other than `userId` has on this namespace or deployment, if any. */
  blocking(namespace: string, deployment: string | undefined, userId: string): Promise<Hold | undefined>;
}

/** Options of createHoldStore. */
export interface HoldStoreOptions {
  /** The longest a hold lasts from when it was first taken, renewals included. Default 24 h. */
  readonly maxHoldMs?: number;
  readonly now?: () => number;
}

/**
 * KEYS: hold. ARGV: new hold JSON, now ms, max lifetime ms. Takes the hold when free; renews it (keeping `since`,
 * the channel and the message) when the same person holds it; never past since + max. Returns
 * {'held'|'taken'|'renewed', hold JSON, capped 0/1}.
 */
const takeScript = `
local current = redis.call('get', KEYS[1])
local hold = cjson.decode(ARGV[1])
local kind = 'taken'
if current then
  local held = cjson.decode(current)
  if held.userId ~= hold.userId then return {'held', current, 0} end
  hold.since = held.since
  hold.channel = held.channel
  hold.message = held.message
  kind = 'renewed'
end
local capped = 0
local cap = hold.since + tonumber(ARGV[3])
if hold['until'] > cap then hold['until'] = cap; capped = 1 end
local encoded = cjson.encode(hold)
redis.call('set', KEYS[1], encoded, 'PX', math.max(1000, hold['until'] - tonumber(ARGV[2])))
return {kind, encoded, capped}`;

/** KEYS: hold. ARGV: user. Deletes when held by the user; returns {'released'|'held', JSON} or {'not_held'}. */
const releaseScript = `
local current = redis.call('get', KEYS[1])
if not current then return {'not_held'} end
if cjson.decode(current).userId ~= ARGV[1] then return {'held', current} end
redis.call('del', KEYS[1])
return {'released', current}`;

/** KEYS: hold. Deletes whoever's it is; returns its JSON, or false. */
const breakScript = `
local current = redis.call('get', KEYS[1])
if current then redis.call('del', KEYS[1]) end
return current`;

/** KEYS: hold. ARGV: user, since, message JSON. Adds the message to the hold it was posted for, keeping its TTL. */
const setMessageScript = `
local current = redis.call('get', KEYS[1])
if not current then return 0 end
local held = cjson.decode(current)
if held.userId ~= ARGV[1] or tostring(held.since) ~= tostring(tonumber(ARGV[2])) then return 0 end
held.message = cjson.decode(ARGV[3])
redis.call('set', KEYS[1], cjson.encode(held), 'KEEPTTL')
return 1`;

/**
 * A stored hold, read field by field: Redis is not the authority, so what is not of the expected type is dropped, not
 * trusted.
 */
function parseHold(raw: string): Hold {
  const parsed = JSON.parse(raw) as Partial<Hold>;
  return {
    target: String(parsed.target ?? '?'),
    userId: String(parsed.userId ?? '?'),
    since: Number(parsed.since ?? 0),
    until: Number(parsed.until ?? 0),
    ...(typeof parsed.reason === 'string' ? { reason: parsed.reason } : {}),
    ...(typeof parsed.channel === 'string' ? { channel: parsed.channel } : {}),
    ...(parsed.message && typeof parsed.message.channel === 'string' && typeof parsed.message.ts === 'string'
      ? { message: { channel: parsed.message.channel, ts: parsed.message.ts } }
      : {}),
  };
}

/** Opens the store under `prefix` (e.g. coxswain:prod). */
export function createHoldStore(redis: Redis, prefix: string, options: HoldStoreOptions = {}): HoldStore {
  const key = (target: string): string => `${prefix}:hold:${target}`;
  const maxHoldMs = options.maxHoldMs ?? 24 * 3_600_000;
  const now = options.now ?? Date.now;
  const read = async (target: string): Promise<Hold | undefined> => {
    const raw = await redis.get(key(target));
    return raw ? parseHold(raw) : undefined;
  };
  return {
    take: async (hold) => {
      const [kind, raw, capped] = (await evalScript(
        redis,
        takeScript,
        1,
        key(hold.target),
        JSON.stringify(hold),
        now(),
        maxHoldMs,
      )) as [string, string, number];
      if (kind === 'held') return { kind: 'held', hold: parseHold(raw) };
      return { kind: kind === 'renewed' ? 'renewed' : 'taken', hold: parseHold(raw), capped: capped === 1 };
    },
    release: async (target, userId) => {
      const [kind, raw] = (await evalScript(redis, releaseScript, 1, key(target), userId)) as [string, string?];
      if (kind === 'not_held' || raw === undefined) return { kind: 'not_held' };
      return { kind: kind === 'held' ? 'held' : 'released', hold: parseHold(raw) };
    },
    break: async (target) => {
      const raw = (await evalScript(redis, breakScript, 1, key(target))) as string | null;
      return raw ? parseHold(raw) : undefined;
    },
    setMessage: async (hold, message) => {
      await evalScript(redis, setMessageScript, 1, key(hold.target), hold.userId, hold.since, JSON.stringify(message));
    },
    blocking: async (namespace, deployment, userId) => {
      const holds = await Promise.all([read(namespace), deployment ? read(`${namespace}/${deployment}`) : undefined]);
      return holds.find((h) => h !== undefined && h.userId !== userId);
    },
  };
}

/** "prod/web is locked by <@U0BOB> since 10:02 UTC until 12:02 UTC: release 4.2" — for refusals. */
export function describeHold(hold: Hold): string {
  const time = (ms: number): string => `${new Date(ms).toISOString().slice(11, 16)} UTC`;
  return `${hold.target} is locked by <@${hold.userId}> since ${time(hold.since)} until ${time(hold.until)}${hold.reason ? `: ${hold.reason}` : ''}`;
}
