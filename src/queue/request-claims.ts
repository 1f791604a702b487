// Slack may deliver one request more than once, and people press Enter twice.
// A claim in Redis, taken before anything is posted, makes the second arrival a no-op.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** How long a request id stays claimed: longer than Slack ever retries. */
const requestTtlSeconds = 3600;
/** Window in which the same text from the same person in the same channel is a repeat. */
export const repeatWindowSeconds = 5;

const hash = (...parts: string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

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
}

/** KEYS: request claim, repeat guard. ARGV: request ttl, repeat ttl, job id. One round trip on the ack path. */
const claimScript = `
if not redis.call('set', KEYS[1], '1', 'EX', ARGV[1], 'NX') then return 'redelivered' end
if not redis.call('set', KEYS[2], ARGV[3], 'EX', ARGV[2], 'NX') then return 'repeated' end
return 'new'`;

const repeatKeyOf = (o: ClaimOptions): string => `${o.prefix}:recent:${hash(o.userId, o.channelId, o.text.trim().replace(/\s+/g, ' '))}`;

/** Claims a request; 'redelivered' and 'repeated' mean it must not run again. */
export async function claimRequest(redis: Redis, o: ClaimOptions): Promise<ClaimOutcome> {
  return await redis.eval(claimScript, 2, `${o.prefix}:request:${o.jobId}`, repeatKeyOf(o), requestTtlSeconds, repeatWindowSeconds, o.jobId) as ClaimOutcome;
}

/** Frees a claim when the request could not be queued, so the user can try again. */
export async function releaseRequest(redis: Redis, o: ClaimOptions): Promise<void> {
  await redis.del(`${o.prefix}:request:${o.jobId}`, repeatKeyOf(o));
}
