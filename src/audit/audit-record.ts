// What an audit record says. One shape for every kind, so the trail can be read,
// filtered and hashed the same way whatever produced it; new kinds (approvals,
// expiry, locks) only add a name to `auditKinds` and fill the fields they need.

/**
 * Every kind of record written today, and the ones reserved for what comes next.
 * Readers must accept kinds they do not know (a newer writer may share the stream).
 */
export const auditKinds = [
  'request.queued', // allowed at the gateway and queued as a job
  'request.answered', // a gateway command (help, whoami, can-i, audit) answered at once
  'request.denied', // the policy refused it
  'request.invalid', // bad input: nothing was done
  'request.repeated', // the same text from the same person within seconds
  'request.duplicate', // Slack delivered the same request again
  'request.failed', // allowed, but could not be queued (Redis or Slack failed)
  'request.refused', // not Slack's (a bad or stale signature, too large; who it claims to be is unverified), or from a workspace the bot does not serve
  'request.limited', // over the person's or the channel's rate, or too many of the person's jobs queued: nothing was done
  'job.started',
  'job.refused', // the worker's re-check refused it, or the job was malformed
  'job.retrying',
  'job.finished',
  'audit.trimmed', // retention removed older records
  'approval.requested',
  'approval.vote',
  'approval.expired',
  'lock.taken',
  'lock.released',
  'lock.broken', // someone the policy lets `break` ended another person's hold
] as const;

/** A kind of audit record. */
export type AuditKind = (typeof auditKinds)[number];

/** What a caller records; the AuditLog adds time, cluster, sequence number and the chain. */
export interface AuditEntry {
  readonly kind: AuditKind;
  /** Slack user ID of whoever asked (or voted). */
  readonly user?: string;
  readonly channel?: string;
  /** Registry name, e.g. 'deploy' or 'rollout undo'. */
  readonly command?: string;
  /** The policy verb the command needs. */
  readonly verb?: string;
  /** The command text as typed (redacted and bounded before it is stored). */
  readonly text?: string;
  /** For jobs: the thread root's wording, e.g. "deploy web to … in staging". */
  readonly description?: string;
  readonly namespace?: string;
  readonly deployment?: string;
  readonly decision?: 'allowed' | 'denied' | 'refused';
  /** The deciding rule when allowed, or the policy consulted when denied. */
  readonly rule?: string;
  readonly reason?: string;
  readonly jobId?: string;
  readonly outcome?: 'succeeded' | 'failed' | 'retrying';
  readonly durationMs?: number;
  readonly attempt?: number;
  /** Kind-specific facts, e.g. what a trim removed. Flat and small. */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

/** A record as stored: the entry plus when, where and its place in the chain. */
export interface AuditRecord extends AuditEntry {
  /** Format version of the record. */
  readonly v: 1;
  /** Position in the chain, 1 for the first record ever written for this cluster. */
  readonly seq: number;
  /** ISO time the record was made. */
  readonly time: string;
  readonly cluster: string;
}

/** A record read back from the stream, with its stream id. */
export interface StoredAuditRecord {
  /** The Redis stream id, e.g. 1700000000000-0. */
  readonly id: string;
  readonly record: AuditRecord;
}
