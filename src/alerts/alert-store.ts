// Alert records in Redis, so dedupe survives restarts and is shared by every
// replica. Each change is a compare-and-swap of the record's JSON (a Lua script
// writes only if the stored value is still what was read), retried on a race.
import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import type { SubjectState } from '../watch/failure-tracker.ts';
import {
  alertId,
  observe,
  type AlertChange,
  type AlertRecord,
  type ObserveContext,
  type PostedMessage,
  type RolloutThread,
} from './alert-record.ts';
import { evalScript } from '../redis-script.ts';

export { alertId } from './alert-record.ts';

/** KEYS: record, firing set. ARGV: expected JSON ('' = absent), new JSON, ttl ms, key, 'firing'|'recovered'. */
const compareAndSet = `
local current = redis.call('get', KEYS[1])
if (current or '') ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3])
if ARGV[5] == 'firing' then redis.call('sadd', KEYS[2], ARGV[4]) else redis.call('srem', KEYS[2], ARGV[4]) end
return 1`;

/** Records outlive their last change by a week: long enough to link the next episode to this one. */
const keepMs = 7 * 24 * 3600_000;

/** The Redis key of an alert record, by its id (the alert buttons carry the id). */
export function alertRecordKey(prefix: string, id: string): string {
  return `${prefix}:alert:${id}`;
}

/** The alert records of one cluster. */
export interface AlertStore {
  get(key: string): Promise<AlertRecord | undefined>;
  /** The record an alert button names, by its id. */
  getById(id: string): Promise<AlertRecord | undefined>;
  /** Applies an observation of the tracker (see observe in alert-record.ts). */
  apply(
    state: SubjectState,
    context: ObserveContext,
  ): Promise<{ record: AlertRecord | undefined; change: AlertChange }>;
  /** Records that `version` reached Slack, and the message when it was a new post. */
  delivered(
    key: string,
    version: number,
    posted?: PostedMessage & { readonly postedAt: number; readonly episode: number },
  ): Promise<AlertRecord | undefined>;
  /** Records that the alert was said in a rollout's thread (once per episode). */
  rolloutNotified(key: string, thread: RolloutThread): Promise<void>;
  /** Keys of the records still firing, for reconciliation after a watcher restart. */
  firingKeys(): Promise<string[]>;
}

/** A stored record; one written before records carried their id gets it from its key. */
function parseRecord(raw: string): AlertRecord {
  const record = JSON.parse(raw) as AlertRecord;
  return record.id ? record : { ...record, id: alertId(record.key) };
}

/** Opens the store under `prefix` (e.g. coxswain:prod). */
export function createAlertStore(redis: Redis, prefix: string): AlertStore {
  const recordKey = (key: string): string => alertRecordKey(prefix, alertId(key));
  const firingSet = `${prefix}:alerts:firing`;
  const getById = async (id: string): Promise<AlertRecord | undefined> => {
    const raw = await redis.get(alertRecordKey(prefix, id));
    return raw ? parseRecord(raw) : undefined;
  };
  const update = async <T>(
    key: string,
    change: (r: AlertRecord | undefined) => { next: AlertRecord | undefined; result: T },
  ): Promise<T> => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const raw = (await redis.get(recordKey(key))) ?? '';
      const { next, result } = change(raw ? parseRecord(raw) : undefined);
      if (!next || JSON.stringify(next) === raw) return result;
      const swapped = await evalScript(
        redis,
        compareAndSet,
        2,
        recordKey(key),
        firingSet,
        raw,
        JSON.stringify(next),
        keepMs,
        key,
        next.state,
      );
      if (swapped === 1) return result;
    }
    throw new AppError('conflict', `alert ${key} changed too often to update`);
  };
  return {
    get: (key) => getById(alertId(key)),
    getById,
    apply: (state, context) =>
      update(state.key, (r) => {
        const outcome = observe(r, state, context);
        return { next: outcome.record, result: outcome };
      }),
    delivered: (key, version, posted) =>
      update(key, (r) => {
        // A new episode opened while this one was being sent: the post belongs to the old one, which is gone.
        if (!r || (posted && posted.episode !== r.firstSeen)) return { next: r, result: r };
        const message = posted ? { channel: posted.channel, ts: posted.ts, postedAt: posted.postedAt } : undefined;
        const next: AlertRecord = {
          ...r,
          deliveredVersion: Math.max(r.deliveredVersion ?? 0, version),
          deliveredAt: Date.now(),
          ...(message ? { message } : {}),
        };
        return { next, result: next };
      }),
    rolloutNotified: (key, thread) =>
      update(key, (r) => ({ next: r ? { ...r, rolloutNotified: thread } : r, result: undefined })),
    firingKeys: async () => {
      const ids = await redis.smembers(firingSet);
      return ids;
    },
  };
}
