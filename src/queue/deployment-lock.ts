// One mutation of a deployment at a time, across every worker replica: a Redis
// key per target, held with a token and renewed while the job runs, so a crashed
// worker's lock expires on its own.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';

/** Who holds a lock, as shown to whoever waits for it. */
export interface LockHolder {
  readonly jobId: string;
  readonly userId: string;
  readonly description: string;
  readonly since: string;
}

/** Options of acquireDeploymentLock. */
export interface AcquireLockOptions {
  /** Key prefix, e.g. 'coxswain:prod-eu'. */
  readonly prefix: string;
  /** e.g. 'staging/checkout'. */
  readonly target: string;
  readonly holder: Omit<LockHolder, 'since'>;
  /** Give up after waiting this long (AppError 'locked'). Default 5 min. */
  readonly maxWaitMs?: number;
  /** Lease length; renewed at a third of it. Default 30 s. */
  readonly leaseMs?: number;
  /** Called once, when the lock is found taken. */
  readonly onWait?: (holder: LockHolder) => void;
  readonly signal?: AbortSignal;
}

/** A held lock; release() is idempotent. */
export interface HeldLock {
  release(): Promise<void>;
}

const releaseScript = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const renewScript = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

async function readHolder(redis: Redis, key: string): Promise<LockHolder | undefined> {
  const raw = await redis.get(key);
  if (!raw) return undefined;
  const { jobId, userId, description, since } = JSON.parse(raw) as LockHolder;
  return { jobId, userId, description, since };
}

function lockedError(target: string, holder: LockHolder | undefined): AppError {
  const who = holder ? ` by <@${holder.userId}> (${holder.description}, job ${holder.jobId}) since ${holder.since}` : '';
  return new AppError('locked', `${target} is locked${who}; gave up waiting.`);
}

/**
 * Takes the lock on `target`, waiting (with onWait called once) while another job
 * holds it. Throws AppError 'locked' naming the holder when the wait runs out.
 */
export async function acquireDeploymentLock(redis: Redis, options: AcquireLockOptions): Promise<HeldLock> {
  const key = `${options.prefix}:lock:${options.target}`;
  const leaseMs = options.leaseMs ?? 30_000;
  const token = randomUUID();
  const value = JSON.stringify({ ...options.holder, since: new Date().toISOString(), token });
  const deadline = Date.now() + (options.maxWaitMs ?? 300_000);
  let told = false;
  for (;;) {
    if ((await redis.set(key, value, 'PX', leaseMs, 'NX')) === 'OK') break;
    const holder = await readHolder(redis, key);
    if (holder && !told) { options.onWait?.(holder); told = true; }
    if (Date.now() >= deadline) throw lockedError(options.target, holder);
    await sleep(250, undefined, options.signal ? { signal: options.signal } : {});
  }
  // The stored value (holder + unique token) is what proves ownership on renew and release.
  const renew = setInterval(() => { redis.eval(renewScript, 1, key, value, leaseMs).catch(() => undefined); }, Math.floor(leaseMs / 3));
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(renew);
      await redis.eval(releaseScript, 1, key, value);
    },
  };
}
