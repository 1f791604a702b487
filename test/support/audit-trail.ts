// Reading a bot's audit trail straight from Redis, as `coxswain audit verify`
// does: what a test checks after a fault is what the trail kept, not what the
// bot says about it.
import { Redis } from 'ioredis';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import type { StoredAuditRecord } from '../../src/audit/audit-record.ts';
import type { ChainVerdict } from '../../src/audit/verify-chain.ts';

/** Every record of the cluster's trail, oldest first, and whether its hash chain holds. */
export interface AuditTrail {
  readonly records: readonly StoredAuditRecord[];
  readonly verdict: ChainVerdict;
}

/** Reads up to `limit` records (default 5000) of `cluster`'s trail at `redisUrl`. */
export async function readAuditTrail(redisUrl: string, cluster: string, limit = 5000): Promise<AuditTrail> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const audit = createAuditLog({ redis, cluster, log: () => undefined });
    const page = await audit.query({ limit });
    return { records: [...page.records].reverse(), verdict: await audit.verify() };
  } finally {
    redis.disconnect();
  }
}
