// Slack may deliver one request more than once, and people press Enter twice.
// A claim in Redis, taken before anything is posted, makes the second arrival a no-op.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { lineKey, lineSeqKey, lineTtlSeconds } from './deployment-lock.ts';
import { evalScript } from '../redis-script.ts';

/** How long a request id stays claimed: longer than Slack ever retries. */
const requestTtlSeconds = 3600;
/** Window in which the same text from the same person in the same channel is a repeat. */
export const repeatWindowSeconds = 5;

const hash = (...parts: string[]): string =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

/** The job id of a Slack request: the same request always gives the same id. */
export function jobIdFor(teamId: string, triggerId: string): string {
  return `slack-${hash(teamId, triggerId)}`;
}

/** What claimRequest found. */
export type ClaimOutcome = 'new' | 'redelivered' | 'repeated';

/** Options of claimRequest. */
export interface ClaimOptions {
  readonly prefix: string;
  readonly jobId: string;
  readonly userId: string;
  readonly channelId: string;
  readonly text: string;
  /**
   * The deployment ('ns/name') a mutating request will change: a new claim joins
   * its line, so jobs take the deployment in the order they were acked.
   */
  readonly line?: string;
}

/**
 * KEYS: request claim, repeat guard, line (or ''), line sequence. ARGV: request ttl, repeat ttl, job id, now ms, line
 * ttl. One round trip on the ack path. The claim holds its time: the line waits that long at most for the job to be
 * queued (deployment-lock.ts).
 */
const claimScript = `
if not redis.call('set', KEYS[1], ARGV[4], 'EX', ARGV[1], 'NX') then return 'redelivered' end
if not redis.call('set', KEYS[2], ARGV[3], 'EX', ARGV[2], 'NX') then return 'repeated' end
if KEYS[3] ~= '' then
  redis.call('zadd', KEYS[3], redis.call('incr', KEYS[4]), ARGV[3])
  redis.call('expire', KEYS[3], ARGV[5])
end
return 'new'`;

const repeatKeyOf = (o: ClaimOptions): string =>
  `${o.prefix}:recent:${hash(o.userId, o.channelId, o.text.trim().replace(/\s+/g, ' '))}`;

/** Claims a request; 'redelivered' and 'repeated' mean it must not run again. */
export async function claimRequest(redis: Redis, o: ClaimOptions): Promise<ClaimOutcome> {
  const line = o.line ? lineKey(o.prefix, o.line) : '';
  return (await evalScript(
    redis,
    claimScript,
    4,
    `${o.prefix}:request:${o.jobId}`,
    repeatKeyOf(o),
    line,
    lineSeqKey(o.prefix),
    requestTtlSeconds,
    repeatWindowSeconds,
    o.jobId,
    Date.now(),
    lineTtlSeconds,
  )) as ClaimOutcome;
}

/**
 * Frees a claim when the request could not be queued, so the user can try again (and the line stops waiting for it).
 */
export async function releaseRequest(redis: Redis, o: ClaimOptions): Promise<void> {
  const release = redis.multi().del(`${o.prefix}:request:${o.jobId}`, repeatKeyOf(o));
  if (o.line) release.zrem(lineKey(o.prefix, o.line), o.jobId);
  await release.exec();
}
