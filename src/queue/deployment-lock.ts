// One mutation of a deployment at a time, across every worker replica, in the
// order the requests were accepted.
//
// Two Redis structures per target:
// - the line (`<prefix>:line:<ns>/<name>`), a sorted set of job ids scored by a
//   sequence number the gateway takes when it claims the request (claimRequest),
//   so the order is the order of the acks, not of whichever worker polls first;
// - the lock (`<prefix>:lock:<ns>/<name>`), held with a token and renewed while
//   the job runs, so a crashed worker's lock expires on its own.
// Only the job at the head of the line may take the lock. A job stays in the line
// until it releases the lock, so a job whose worker died (BullMQ hands it on as a
// stalled job) keeps its place and resumes before the ones behind it.
//
// The line reads BullMQ's own keys to tell a job still to come from one that has
// ended or never will: the job hash `<prefix>:<jobId>` (with `finishedOn` once it
// completed or failed for good) and the list `<prefix>:active`. That holds because
// keyPrefix(cluster) is BullMQ's `<queuePrefix>:<queueName>` (see job-queue.ts).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import { evalScript } from '../redis-script.ts';

/** Who holds a lock, as shown to whoever waits for it. */
export interface LockHolder {
  readonly jobId: string;
  readonly userId: string;
  readonly description: string;
  readonly since: string;
}

/** Options of acquireDeploymentLock. */
export interface AcquireLockOptions {
  /** Key prefix, e.g. 'coxswain:prod-eu' (keyPrefix of the cluster). */
  readonly prefix: string;
  /** e.g. 'staging/checkout'. */
  readonly target: string;
  readonly holder: Omit<LockHolder, 'since'>;
  /** Give up after waiting this long for a running job (AppError 'locked'). Default 5 min. */
  readonly maxWaitMs?: number;
  /** Lease length; renewed at a third of it. Default 30 s. */
  readonly leaseMs?: number;
  /** Called once, when the lock is found taken. */
  readonly onWait?: (holder: LockHolder) => void;
  readonly signal?: AbortSignal;
}

/** A held lock; release() is idempotent. */
export interface HeldLock {
  /** Frees the lock; `keepPlace` keeps the job first in line (it failed and will be retried). */
  release(options?: { keepPlace?: boolean }): Promise<void>;
}

/**
 * Thrown instead of waiting when a job ahead in the line is not running (still
 * queued, or backing off before a retry): the waiting job gives its worker slot
 * back and comes again after `delayMs`, so waiters can never fill every slot while
 * the job they wait for has none.
 */
export class WaitInLine extends Error {
  readonly delayMs: number;
  readonly ahead: number;

  constructor(target: string, ahead: number) {
    super(`${target}: ${ahead} job(s) ahead in line, not running yet`);
    this.name = 'WaitInLine';
    this.ahead = ahead;
    // Further back comes again later; the next in line soon.
    this.delayMs = Math.min(5000, 500 * Math.max(1, ahead));
  }
}

/** How long a request the gateway claimed may take to reach the queue before the line stops waiting for it. */
const unqueuedGraceMs = 180_000;
/** A line nobody joins for this long expires (its entries are all ended by then). */
export const lineTtlSeconds = 86_400;

/** The name a deployment's lock and line go by, 'ns/name'; none for a target that is not one deployment. */
export function lockTargetOf(target: { namespace: string; deployment?: string | undefined }): string | undefined {
  return target.deployment ? `${target.namespace}/${target.deployment}` : undefined;
}

/** The line of a target; the gateway joins it when it claims a request. */
export const lineKey = (prefix: string, target: string): string => `${prefix}:line:${target}`;
/** The sequence numbers of every line of a cluster. */
export const lineSeqKey = (prefix: string): string => `${prefix}:line-seq`;
const lockKey = (prefix: string, target: string): string => `${prefix}:lock:${target}`;

/**
 * KEYS: line, lock, sequence. ARGV: job id, lock value, lease ms, key prefix, now ms, grace ms, line ttl s.
 * Joins the line (at its end, unless the gateway already placed it), drops entries
 * ahead that ended or were never queued, and takes the lock if this job is first.
 * Returns {'taken'}, {'held', 0, lock value} (first, but the lock is still held),
 * {'running', jobs ahead, lock value} or {'queued', jobs ahead}.
 */
const takeScript = `
if not redis.call('zscore', KEYS[1], ARGV[1]) then
  redis.call('zadd', KEYS[1], redis.call('incr', KEYS[3]), ARGV[1])
end
redis.call('expire', KEYS[1], ARGV[7])
for _ = 1, 1000 do
  local head = redis.call('zrange', KEYS[1], 0, 0)[1]
  if head == ARGV[1] then
    if redis.call('set', KEYS[2], ARGV[2], 'PX', ARGV[3], 'NX') then return {'taken', 0} end
    return {'held', 0, redis.call('get', KEYS[2]) or ''}
  end
  local job = ARGV[4] .. ':' .. head
  local ended
  if redis.call('exists', job) == 1 then
    ended = redis.call('hexists', job, 'finishedOn') == 1
  else
    local claimedAt = tonumber(redis.call('get', ARGV[4] .. ':request:' .. head)) or 0
    ended = tonumber(ARGV[5]) - claimedAt > tonumber(ARGV[6])
  end
  if not ended then
    local ahead = redis.call('zrank', KEYS[1], ARGV[1])
    if redis.call('lpos', ARGV[4] .. ':active', head) then return {'running', ahead, redis.call('get', KEYS[2]) or ''} end
    return {'queued', ahead}
  end
  redis.call('zrem', KEYS[1], head)
end
return {'queued', 1000}`;

/** KEYS: lock, line. ARGV: lock value, job id, '1' to keep the job's place in line. */
const releaseScript = `
if ARGV[3] ~= '1' then redis.call('zrem', KEYS[2], ARGV[2]) end
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const renewScript = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

function holderOf(raw: string | undefined): LockHolder | undefined {
  if (!raw) return undefined;
  const { jobId, userId, description, since } = JSON.parse(raw) as LockHolder;
  return { jobId, userId, description, since };
}

function lockedError(target: string, holder: LockHolder | undefined): AppError {
  const who = holder
    ? ` by <@${holder.userId}> (${holder.description}, job ${holder.jobId}) since ${holder.since}`
    : ' by the job ahead of this one';
  return new AppError('locked', `${target} is locked${who}; gave up waiting.`);
}

/** `f` the first time only. */
function once(f: ((holder: LockHolder) => void) | undefined): (holder: LockHolder) => void {
  let done = false;
  return (holder) => {
    if (!done) f?.(holder);
    done = true;
  };
}

/** Leaves the line (the jobs behind go on) and throws `error`. */
async function giveUp(redis: Redis, line: string, jobId: string, error: AppError): Promise<never> {
  await redis.zrem(line, jobId);
  throw error;
}

/** The state, the jobs ahead, and (while waiting in the slot) the lock's stored value. */
type TakeReply = ['taken' | 'held' | 'running' | 'queued', number, string?];

/**
 * Takes the lock on `target` when this job's turn comes, waiting (with onWait
 * called once) while the job ahead runs. Throws WaitInLine when the job ahead is
 * not running, and AppError 'locked' naming the holder when the wait runs out.
 */
export async function acquireDeploymentLock(redis: Redis, options: AcquireLockOptions): Promise<HeldLock> {
  const { prefix, target } = options;
  const key = lockKey(prefix, target);
  const line = lineKey(prefix, target);
  const leaseMs = options.leaseMs ?? 30_000;
  const value = JSON.stringify({ ...options.holder, since: new Date().toISOString(), token: randomUUID() });
  const deadline = Date.now() + (options.maxWaitMs ?? 300_000);
  const pause = options.signal ? { signal: options.signal } : {};
  const onWait = once(options.onWait);
  for (;;) {
    const [state, ahead, held] = (await evalScript(
      redis,
      takeScript,
      3,
      line,
      key,
      lineSeqKey(prefix),
      options.holder.jobId,
      value,
      leaseMs,
      prefix,
      Date.now(),
      unqueuedGraceMs,
      lineTtlSeconds,
    )) as TakeReply;
    if (state === 'taken') break;
    if (state === 'queued') throw new WaitInLine(target, ahead);
    const holder = holderOf(held);
    if (holder) onWait(holder);
    if (Date.now() >= deadline) await giveUp(redis, line, options.holder.jobId, lockedError(target, holder));
    await sleep(250, undefined, pause);
  }
  return holdLock(redis, { key, line, value, jobId: options.holder.jobId, leaseMs });
}

/** A taken lock, renewed at a third of its lease. The stored value (holder + unique token) proves ownership. */
function holdLock(
  redis: Redis,
  held: { key: string; line: string; value: string; jobId: string; leaseMs: number },
): HeldLock {
  const { key, line, value, jobId, leaseMs } = held;
  const renew = setInterval(
    () => {
      evalScript(redis, renewScript, 1, key, value, leaseMs).catch(() => undefined);
    },
    Math.floor(leaseMs / 3),
  );
  let released = false;
  return {
    release: async (how) => {
      if (released) return;
      released = true;
      clearInterval(renew);
      await evalScript(redis, releaseScript, 2, key, line, value, jobId, how?.keepPlace ? '1' : '0');
    },
  };
}
