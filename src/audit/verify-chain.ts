// Walks a chain of stored records and finds the first link that does not hold.
// Pure: the AuditLog feeds it pages from Redis, tests feed it arrays.
import { chainHash, genesisHash } from './chain-hash.ts';

/** One stream entry as stored: the record's JSON and the two hashes around it. */
export interface ChainEntry {
  readonly id: string;
  readonly record: string;
  readonly prev: string;
  readonly hash: string;
}

/** The first link that does not hold. */
export interface ChainBreak {
  /** Stream id of the entry where the chain breaks. */
  readonly id: string;
  readonly problem: string;
  readonly expected: string;
  readonly found: string;
}

/** Intact (with how many records were checked) or broken at one link. */
export type ChainVerdict =
  | {
      readonly ok: true;
      readonly count: number;
      readonly firstId?: string;
      readonly lastId?: string;
      readonly anchoredAt?: string;
    }
  | { readonly ok: false; readonly count: number; readonly broken: ChainBreak };

/** What verifyChain reads. */
export interface ChainSource {
  /** The last record removed by retention: the first kept record must link to it. Absent: nothing was trimmed. */
  readonly anchor?: ChainEntry;
  /** The chain's head hash when verification began; records appended after it are not checked. */
  readonly head?: string;
  /** The entries, oldest first, in pages. */
  readonly pages: AsyncIterable<readonly ChainEntry[]>;
}

function checkEntry(entry: ChainEntry, expectedPrev: string): ChainBreak | undefined {
  if (entry.prev !== expectedPrev) {
    return {
      id: entry.id,
      problem: 'does not link to the record before it (a record was removed, moved or inserted)',
      expected: expectedPrev,
      found: entry.prev,
    };
  }
  const computed = chainHash(entry.prev, entry.record);
  if (computed !== entry.hash)
    return {
      id: entry.id,
      problem: 'its content does not match its hash (the record was edited)',
      expected: computed,
      found: entry.hash,
    };
  return undefined;
}

interface Walked {
  readonly count: number;
  readonly first?: ChainEntry;
  readonly last?: ChainEntry;
  readonly expected: string;
}

function intact(source: ChainSource, w: Walked): ChainVerdict {
  return {
    ok: true,
    count: w.count,
    ...(w.first ? { firstId: w.first.id } : {}),
    ...(w.last ? { lastId: w.last.id } : {}),
    ...(source.anchor ? { anchoredAt: source.anchor.id } : {}),
  };
}

/** The walk reached the end of the stream without meeting the head. */
function endWithoutHead(source: ChainSource, w: Walked): ChainVerdict {
  if (source.head === undefined && w.count === 0 && !source.anchor) return intact(source, w);
  const id = w.last?.id ?? '(empty stream)';
  const broken: ChainBreak =
    source.head === undefined
      ? { id, problem: 'the chain has no head (its key was deleted)', expected: w.expected, found: 'nothing' }
      : {
          id,
          problem: 'the chain ends before its recorded head (records at the end were removed)',
          expected: source.head,
          found: w.last?.hash ?? 'nothing',
        };
  return { ok: false, count: w.count, broken };
}

/**
 * Checks every link from the anchor (or the genesis hash) to the head: each
 * entry's `prev` is the previous entry's hash, and its hash is SHA-256 of `prev`
 * and its JSON. An edited record breaks at itself; a removed, moved or inserted
 * one at the entry after it; a removed tail at the last entry.
 */
export async function verifyChain(source: ChainSource): Promise<ChainVerdict> {
  let w: Walked = { count: 0, expected: source.anchor?.hash ?? genesisHash };
  for await (const page of source.pages) {
    for (const entry of page) {
      const broken = checkEntry(entry, w.expected);
      if (broken) return { ok: false, count: w.count, broken };
      w = { count: w.count + 1, first: w.first ?? entry, last: entry, expected: entry.hash };
      if (entry.hash === source.head) return intact(source, w);
    }
  }
  return endWithoutHead(source, w);
}
