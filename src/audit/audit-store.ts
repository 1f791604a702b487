// The audit trail's Redis side: three keys per cluster and two Lua scripts.
//
// Why a compare-and-append script rather than WATCH/MULTI: WATCH state belongs
// to a connection, and the connections here are shared (BullMQ runs MULTI/EXEC
// on them, which drops any WATCH). A script is atomic on any connection: it
// appends only if the head is still the one the hash was computed from. Redis's
// Lua has no SHA-256, so the hash is made in Node and the script only compares;
// a writer that loses the race gets the new head back and tries again. Every
// writer, in any process, therefore links to the record that was really last.
import type { Redis } from 'ioredis';
import type { ChainEntry } from './verify-chain.ts';
import { evalScript } from '../redis-script.ts';

/** Where one cluster's trail lives. */
export interface AuditKeys {
  /** The stream of records, oldest first. */
  readonly stream: string;
  /** "<seq> <hash>" of the last record: what the next record links to. */
  readonly head: string;
  /** The last record removed by retention (JSON of its entry): what the first kept record links to. */
  readonly anchor: string;
}

/** The keys of a cluster's audit trail, next to its queue under coxswain:<cluster>:. */
export function auditKeys(cluster: string): AuditKeys {
  const stream = `coxswain:${cluster}:audit`;
  return { stream, head: `${stream}:head`, anchor: `${stream}:anchor` };
}

// Appends the entries in order if the head is still ARGV[1]; ARGV[3..] are (record, prev, hash) triples, already
// linked to one another by the writer. A batch is one round trip and one race, however many records it holds.
const appendScript = `
local head = redis.call('GET', KEYS[2]) or ''
if head ~= ARGV[1] then return {0, head} end
local ids = {}
for i = 3, #ARGV, 3 do
  ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'record', ARGV[i], 'prev', ARGV[i + 1], 'hash', ARGV[i + 2])
end
redis.call('SET', KEYS[2], ARGV[2])
return {1, redis.call('XLEN', KEYS[1]), ids}
`;

// Removes the oldest records beyond ARGV[1] (at most ARGV[2] of them) and keeps
// the last one removed as the anchor, in one step, so the chain stays checkable.
const trimScript = `
local len = redis.call('XLEN', KEYS[1])
local excess = len - tonumber(ARGV[1])
if excess <= 0 then return false end
if excess > tonumber(ARGV[2]) then excess = tonumber(ARGV[2]) end
local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', excess)
local last = entries[#entries]
local anchor = { id = last[1] }
local fields = last[2]
for i = 1, #fields, 2 do anchor[fields[i]] = fields[i + 1] end
redis.call('SET', KEYS[2], cjson.encode(anchor))
redis.call('XTRIM', KEYS[1], 'MAXLEN', len - excess)
return {excess, entries[1][1], last[1], anchor.hash or ''}
`;

/** What to append, and the head it must follow. */
export interface AppendRequest {
  /** The head the first entry's hash was computed from ('' when the trail is new). */
  readonly expectedHead: string;
  /** The head after the last entry. */
  readonly newHead: string;
  /** Oldest first, each linked to the one before it (the first to `expectedHead`). */
  readonly entries: readonly Omit<ChainEntry, 'id'>[];
}

/** Appended (with the stream ids and length), or someone else was first (with the head they left). */
export type AppendResult =
  | { readonly ok: true; readonly ids: readonly string[]; readonly length: number }
  | { readonly ok: false; readonly head: string };

/** Appends the entries if the head is still `expectedHead`. */
export async function appendEntries(redis: Redis, keys: AuditKeys, request: AppendRequest): Promise<AppendResult> {
  const fields = request.entries.flatMap((e) => [e.record, e.prev, e.hash]);
  const reply = (await evalScript(
    redis,
    appendScript,
    2,
    keys.stream,
    keys.head,
    request.expectedHead,
    request.newHead,
    ...fields,
  )) as [0, string] | [1, number, string[]];
  return reply[0] === 1 ? { ok: true, ids: reply[2], length: Number(reply[1]) } : { ok: false, head: reply[1] };
}

/** What one trim removed. */
export interface TrimBatch {
  readonly count: number;
  readonly firstId: string;
  readonly lastId: string;
  /** Hash of the last record removed: the new anchor. */
  readonly anchorHash: string;
}

/** Removes up to `batch` of the oldest records beyond `keep`; undefined when there were none. */
export async function trimOldest(
  redis: Redis,
  keys: AuditKeys,
  keep: number,
  batch: number,
): Promise<TrimBatch | undefined> {
  const reply = (await evalScript(redis, trimScript, 2, keys.stream, keys.anchor, String(keep), String(batch))) as
    [number, string, string, string] | null;
  if (!reply) return undefined;
  return { count: Number(reply[0]), firstId: reply[1], lastId: reply[2], anchorHash: reply[3] };
}

/** A stream entry's flat field list as a ChainEntry (missing fields read as ''). */
export function toChainEntry(id: string, fields: readonly string[]): ChainEntry {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] ?? '', fields[i + 1] ?? '');
  return { id, record: map.get('record') ?? '', prev: map.get('prev') ?? '', hash: map.get('hash') ?? '' };
}

function parseAnchor(raw: string | null): ChainEntry | undefined {
  if (raw === null) return undefined;
  try {
    const a = JSON.parse(raw) as Partial<ChainEntry>;
    return {
      id: String(a.id ?? ''),
      record: String(a.record ?? ''),
      prev: String(a.prev ?? ''),
      hash: String(a.hash ?? ''),
    };
  } catch {
    return { id: '(anchor)', record: '', prev: '', hash: 'unreadable anchor' };
  }
}

/** The anchor, the head and the first page, read in one transaction so a trim cannot fall between them. */
export interface ChainSnapshot {
  readonly anchorRaw: string | null;
  readonly anchor?: ChainEntry;
  /** The head's hash; undefined when there is no head key. */
  readonly head?: string;
  readonly firstPage: readonly ChainEntry[];
}

/** Reads a consistent start for verification. */
export async function readSnapshot(redis: Redis, keys: AuditKeys, pageSize: number): Promise<ChainSnapshot> {
  const replies = await redis
    .multi()
    .get(keys.anchor)
    .get(keys.head)
    .xrange(keys.stream, '-', '+', 'COUNT', pageSize)
    .exec();
  if (!replies) throw new Error('the audit snapshot transaction was aborted');
  const [anchorReply, headReply, pageReply] = replies;
  for (const [error] of replies) if (error) throw error;
  const anchorRaw = anchorReply?.[1] as string | null;
  const head = headReply?.[1] as string | null;
  const anchor = parseAnchor(anchorRaw);
  return {
    anchorRaw,
    ...(anchor ? { anchor } : {}),
    ...(head ? { head: head.split(' ')[1] ?? head } : {}),
    firstPage: (pageReply?.[1] as [string, string[]][]).map(([id, fields]) => toChainEntry(id, fields)),
  };
}

/** Pages of entries after `afterId`, oldest first, until the end of the stream. */
export async function* readPagesAfter(
  redis: Redis,
  keys: AuditKeys,
  afterId: string,
  pageSize: number,
): AsyncGenerator<readonly ChainEntry[]> {
  let from = afterId;
  for (;;) {
    const page = await redis.xrange(keys.stream, `(${from}`, '+', 'COUNT', pageSize);
    if (page.length === 0) return;
    yield page.map(([id, fields]) => toChainEntry(id, fields));
    from = page[page.length - 1]?.[0] ?? from;
    if (page.length < pageSize) return;
  }
}
