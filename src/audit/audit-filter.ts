// Which records `/k8s audit` shows. Kept apart from Redis so the rules are
// tested on their own.
import type { AuditRecord } from './audit-record.ts';

/** What a reader asks for; every field narrows. */
export interface AuditFilter {
  /** Slack user ID of the requester. */
  readonly user?: string;
  /** Policy verb, e.g. 'deploy'. */
  readonly verb?: string;
  /** Only records made at or after this time (ms since the epoch). */
  readonly sinceMs?: number;
  /** Most records returned, newest first. */
  readonly limit: number;
  /** Which records this reader may see at all (their `audit` rules' namespaces); absent: every record. */
  readonly visible?: (record: AuditRecord) => boolean;
}

/** True when the record is one the filter asks for. */
export function matchesFilter(record: AuditRecord, filter: AuditFilter): boolean {
  if (filter.user !== undefined && record.user !== filter.user) return false;
  if (filter.verb !== undefined && record.verb !== filter.verb) return false;
  if (filter.visible !== undefined && !filter.visible(record)) return false;
  return filter.sinceMs === undefined || Date.parse(record.time) >= filter.sinceMs;
}
