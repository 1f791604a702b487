// The audit trail: every request, refusal, job start and result as a record in a
// Redis Stream whose records are hash-chained, plus one JSON log line each. The
// log line is written whatever Redis does, so an outage loses the chain's copy,
// never the fact; record() never throws into the request path.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import { redact, type Log } from '../log/create-logger.ts';
import { matchesFilter, type AuditFilter } from './audit-filter.ts';
import type { AuditEntry, AuditRecord, StoredAuditRecord } from './audit-record.ts';
import { appendEntries, auditKeys, readPagesAfter, readSnapshot, trimOldest, type AuditKeys } from './audit-store.ts';
import { canonicalJson } from '../text/canonical-json.ts';
import { chainHash, genesisHash } from './chain-hash.ts';
import { verifyChain, type ChainEntry, type ChainVerdict } from './verify-chain.ts';

/** Records audit entries; what the request path is given. */
export interface AuditRecorder {
  /** Resolves once the record is stored (or its failure logged). Never rejects. */
  record(entry: AuditEntry): Promise<void>;
}

/** Newest-first records that match a filter. */
export interface AuditPage {
  readonly records: readonly StoredAuditRecord[];
  /** The scan stopped at its bound before reaching `since`: older matches may exist. */
  readonly scanLimited: boolean;
}

/** Reads the trail; what `/k8s audit` is given. */
export interface AuditReader {
  query(filter: AuditFilter): Promise<AuditPage>;
}

/** The whole audit trail of one cluster. */
export interface AuditLog extends AuditRecorder, AuditReader {
  /** Checks the chain from the anchor (or the first record) to the head. */
  verify(): Promise<ChainVerdict>;
  /** Waits for records being written. */
  close(): Promise<void>;
}

/** Options of createAuditLog. */
export interface AuditLogOptions {
  /** A connection that fails fast (no offline queue): a record must not wait on an outage. */
  readonly redis: Redis;
  readonly cluster: string;
  readonly log: Log;
  /** Records kept; older ones are trimmed, and the trim is logged and recorded. Default 100 000. */
  readonly retention?: number;
  /** Tries at appending while other writers keep winning the race. Default 50. */
  readonly maxAttempts?: number;
  /** Most records a query reads before it gives up looking further back. Default 5000. */
  readonly maxScan?: number;
}

const maxText = 1000;
const pageSize = 500;
const trimBatch = 1000;

const bound = (text: string): string => (text.length <= maxText ? text : `${text.slice(0, maxText - 1)}…`);
const clean = (value: unknown): unknown => (typeof value === 'string' ? bound(redact(value)) : value);

/** Redacts and bounds every free-text field, so no secret typed into Slack reaches a record. */
function sanitize(entry: AuditEntry): AuditEntry {
  const fields = Object.entries(entry).map(([k, v]) => [
    k,
    k === 'detail' && v ? Object.fromEntries(Object.entries(v as object).map(([dk, dv]) => [dk, clean(dv)])) : clean(v),
  ]);
  return Object.fromEntries(fields) as AuditEntry;
}

function parseHead(head: string): { seq: number; hash: string } {
  if (head === '') return { seq: 0, hash: genesisHash };
  const [seq, hash] = head.split(' ');
  if (!seq || !hash || !/^\d+$/.test(seq))
    throw new Error('the audit head key holds something unexpected; run `coxswain audit verify`');
  return { seq: Number(seq), hash };
}

function parseRecord(entry: ChainEntry): StoredAuditRecord | undefined {
  try {
    const record = JSON.parse(entry.record) as AuditRecord;
    return typeof record === 'object' && record !== null && typeof record.kind === 'string'
      ? { id: entry.id, record }
      : undefined;
  } catch {
    return undefined;
  }
}

/** A record waiting for its turn: stamped when it was asked for. */
interface Waiting {
  readonly entry: AuditEntry;
  readonly time: string;
  readonly done: () => void;
}

/** One record of a batch, linked to the one before it. */
interface Link {
  readonly record: AuditRecord;
  readonly json: string;
  readonly prev: string;
  readonly hash: string;
}

interface Appended {
  readonly ids: readonly string[];
  readonly links: readonly Link[];
  readonly length: number;
}

/**
 * Most records one append carries. Records asked for while an append is in flight go together in the next one, so
 * under load a process races the other writers once per batch, not once per record.
 */
const maxBatch = 100;

class RedisAuditLog implements AuditLog {
  readonly #o: AuditLogOptions;
  readonly #keys: AuditKeys;
  readonly #retention: number;
  #head = '';
  readonly #waiting: Waiting[] = [];
  /** The loop that writes the waiting records, while it runs. */
  #flushing: Promise<void> | undefined;

  constructor(options: AuditLogOptions) {
    this.#o = options;
    this.#keys = auditKeys(options.cluster);
    this.#retention = options.retention ?? 100_000;
  }

  record(entry: AuditEntry): Promise<void> {
    // In order per process, in batches; other processes are kept in line by the append script.
    return new Promise((done) => {
      this.#waiting.push({ entry: sanitize(entry), time: new Date().toISOString(), done });
      this.#flushing ??= this.#flush();
    });
  }

  async #flush(): Promise<void> {
    for (;;) {
      const batch = this.#waiting.splice(0, maxBatch);
      if (batch.length === 0) {
        this.#flushing = undefined; // in the same turn as the check: a record asked for next starts a new loop
        return;
      }
      await this.#write(batch, true);
    }
  }

  async #write(batch: readonly Waiting[], mayTrim: boolean): Promise<void> {
    let appended: Appended;
    try {
      appended = await this.#append(batch);
    } catch (error) {
      for (const { entry, time } of batch)
        this.#o.log('info', 'audit', { audit: { ...entry, time, cluster: this.#o.cluster }, stored: false });
      this.#o.log('warn', 'audit record not stored in Redis (it is in this log)', {
        kind: batch.map((w) => w.entry.kind).join(', '),
        error: error instanceof Error ? error.message : String(error),
      });
      for (const w of batch) w.done();
      return;
    }
    appended.links.forEach((link, i) =>
      this.#o.log('info', 'audit', { audit: link.record, id: appended.ids[i], hash: link.hash }),
    );
    if (mayTrim && appended.length > this.#retention)
      await this.#trim().catch((error: unknown) => {
        this.#o.log('warn', 'audit trim failed; it is tried again after the next record', {
          error: error instanceof Error ? error.message : String(error),
        });
      });
    for (const w of batch) w.done();
  }

  async #append(batch: readonly Waiting[]): Promise<Appended> {
    const max = this.#o.maxAttempts ?? 50;
    for (let attempt = 1; attempt <= max; attempt++) {
      let prev = parseHead(this.#head);
      const links = batch.map(({ entry, time }): Link => {
        const record: AuditRecord = { ...entry, v: 1, seq: prev.seq + 1, time, cluster: this.#o.cluster };
        const json = canonicalJson(record);
        const link = { record, json, prev: prev.hash, hash: chainHash(prev.hash, json) };
        prev = { seq: record.seq, hash: link.hash };
        return link;
      });
      const newHead = `${prev.seq} ${prev.hash}`;
      const result = await appendEntries(this.#o.redis, this.#keys, {
        expectedHead: this.#head,
        newHead,
        entries: links.map(({ json, prev: linked, hash }) => ({ record: json, prev: linked, hash })),
      });
      if (result.ok) {
        this.#head = newHead;
        return { ids: result.ids, links, length: result.length };
      }
      this.#head = result.head;
      // Another writer was first: link to its record. A little jitter keeps two losers from colliding forever.
      if (attempt > 2) await sleep(Math.random() * Math.min(20, attempt * 2));
    }
    throw new Error(`other writers kept the audit chain busy through ${max} attempts`);
  }

  async #trim(): Promise<void> {
    // Trim 1% below the bound, so a trim (and its own record) happens once per 1% of records, not on every write.
    const keep = this.#retention - Math.max(1, Math.floor(this.#retention / 100));
    let count = 0;
    let firstId = '';
    let last: { lastId: string; anchorHash: string } | undefined;
    for (
      let batch = await trimOldest(this.#o.redis, this.#keys, keep, trimBatch);
      batch;
      batch = await trimOldest(this.#o.redis, this.#keys, keep, trimBatch)
    ) {
      count += batch.count;
      firstId ||= batch.firstId;
      last = batch;
    }
    if (!last) return;
    const detail = { count, firstId, lastId: last.lastId, anchorHash: last.anchorHash, retention: this.#retention };
    this.#o.log('info', 'audit records trimmed (retention)', detail);
    const trimmed = sanitize({ kind: 'audit.trimmed', detail });
    await this.#write([{ entry: trimmed, time: new Date().toISOString(), done: () => undefined }], false);
  }

  async query(filter: AuditFilter): Promise<AuditPage> {
    return this.#scan(filter).catch((error: unknown) => {
      throw new AppError('unavailable', 'The audit trail (Redis) cannot be read right now; please try again shortly.', {
        cause: error,
      });
    });
  }

  async #scan(filter: AuditFilter): Promise<AuditPage> {
    const found: StoredAuditRecord[] = [];
    const min = filter.sinceMs === undefined ? '-' : String(Math.max(0, Math.floor(filter.sinceMs)));
    const maxScan = this.#o.maxScan ?? 5000;
    let max = '+';
    for (let scanned = 0; scanned < maxScan;) {
      const count = Math.min(pageSize, maxScan - scanned);
      const page = await this.#o.redis.xrevrange(this.#keys.stream, max, min, 'COUNT', count);
      const records = page.map(([id, fields]) =>
        parseRecord({ id, record: fields[fields.indexOf('record') + 1] ?? '', prev: '', hash: '' }),
      );
      found.push(...records.filter((r): r is StoredAuditRecord => r !== undefined && matchesFilter(r.record, filter)));
      scanned += page.length;
      if (found.length >= filter.limit || page.length < count)
        return { records: found.slice(0, filter.limit), scanLimited: false };
      max = `(${page[page.length - 1]?.[0] ?? '0'}`;
    }
    return { records: found.slice(0, filter.limit), scanLimited: true };
  }

  async verify(): Promise<ChainVerdict> {
    let verdict: ChainVerdict | undefined;
    // A trim between reading pages moves the start; if the anchor changed meanwhile, look again (a few times).
    for (let attempt = 0; attempt < 3; attempt++) {
      const snapshot = await readSnapshot(this.#o.redis, this.#keys, pageSize);
      const lastOfFirst = snapshot.firstPage.at(-1)?.id;
      const redis = this.#o.redis;
      const keys = this.#keys;
      const pages = (async function* () {
        yield snapshot.firstPage;
        if (lastOfFirst && snapshot.firstPage.length === pageSize)
          yield* readPagesAfter(redis, keys, lastOfFirst, pageSize);
      })();
      verdict = await verifyChain({
        pages,
        ...(snapshot.anchor ? { anchor: snapshot.anchor } : {}),
        ...(snapshot.head ? { head: snapshot.head } : {}),
      });
      if (verdict.ok || (await redis.get(keys.anchor)) === snapshot.anchorRaw) return verdict;
    }
    return verdict as ChainVerdict;
  }

  async close(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }
}

/** Opens the audit trail of one cluster over a Redis connection. */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  return new RedisAuditLog(options);
}
