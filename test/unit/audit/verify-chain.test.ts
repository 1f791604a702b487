// The hash chain without Redis: canonical bytes, linking, and which link a
// tampering breaks (edit, delete, reorder, insert, a removed tail, a trimmed start).
import { describe, expect, it } from '@jest/globals';
import { canonicalJson } from '../../../src/text/canonical-json.ts';
import { chainHash, genesisHash } from '../../../src/audit/chain-hash.ts';
import { verifyChain, type ChainEntry, type ChainSource } from '../../../src/audit/verify-chain.ts';

function buildChain(count: number, prev = genesisHash): ChainEntry[] {
  const entries: ChainEntry[] = [];
  for (let i = 1; i <= count; i++) {
    const record = canonicalJson({ kind: 'request.queued', seq: i, user: 'U0ALICE', text: `scale web ${i}` });
    const hash = chainHash(prev, record);
    entries.push({ id: `1700000000000-${i}`, record, prev, hash });
    prev = hash;
  }
  return entries;
}

async function* pages(entries: readonly ChainEntry[], size = 2): AsyncGenerator<readonly ChainEntry[]> {
  for (let i = 0; i < entries.length; i += size) yield entries.slice(i, i + size);
}

const source = (entries: readonly ChainEntry[], over: Partial<ChainSource> = {}): ChainSource => ({
  pages: pages(entries),
  ...(entries.length ? { head: entries.at(-1)?.hash } : {}),
  ...over,
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined, so field order never changes the hash', () => {
    const a = canonicalJson({ b: 1, a: { d: 'x', c: [2, { z: 1, y: 2 }] }, u: undefined });
    const b = canonicalJson({ a: { c: [2, { y: 2, z: 1 }], d: 'x' }, b: 1 });
    expect(a).toBe(b);
    expect(a).toBe('{"a":{"c":[2,{"y":2,"z":1}],"d":"x"},"b":1}');
  });
});

describe('chainHash', () => {
  it('is SHA-256 of the previous hash and the record, and depends on both', () => {
    const h = chainHash(genesisHash, '{"a":1}');
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(genesisHash, '{"a":1}')).toBe(h);
    expect(chainHash(genesisHash, '{"a":2}')).not.toBe(h);
    expect(chainHash(h, '{"a":1}')).not.toBe(h);
  });
});

describe('verifyChain', () => {
  it('passes an intact chain and counts it, across pages', async () => {
    const chain = buildChain(5);
    expect(await verifyChain(source(chain))).toEqual({
      ok: true,
      count: 5,
      firstId: chain[0]?.id,
      lastId: chain[4]?.id,
    });
  });

  it('passes an empty trail with no head', async () => {
    expect(await verifyChain({ pages: pages([]) })).toEqual({ ok: true, count: 0 });
  });

  it('stops at the head it was given: records appended meanwhile are not its business', async () => {
    const chain = buildChain(4);
    expect(await verifyChain(source(chain, { head: chain[1]?.hash }))).toMatchObject({ ok: true, count: 2 });
  });

  it('finds an edited record at that record, with the hash it should have', async () => {
    const chain = buildChain(5);
    const edited = { ...chain[2]!, record: chain[2]!.record.replace('scale web 3', 'scale web 30') };
    const verdict = await verifyChain(source([...chain.slice(0, 2), edited, ...chain.slice(3)]));
    expect(verdict).toEqual({
      ok: false,
      count: 2,
      broken: {
        id: chain[2]?.id,
        problem: expect.stringContaining('edited'),
        expected: chainHash(chain[1]!.hash, edited.record),
        found: chain[2]?.hash,
      },
    });
  });

  it('finds an edited record whose hash was recomputed at the next link', async () => {
    const chain = buildChain(5);
    const record = chain[2]!.record.replace('scale web 3', 'scale web 30');
    const forged = { ...chain[2]!, record, hash: chainHash(chain[2]!.prev, record) };
    const verdict = await verifyChain(source([...chain.slice(0, 2), forged, ...chain.slice(3)]));
    expect(verdict).toMatchObject({
      ok: false,
      count: 3,
      broken: { id: chain[3]?.id, expected: forged.hash, found: chain[2]?.hash },
    });
  });

  it('finds a deleted record at the entry after it', async () => {
    const chain = buildChain(5);
    const verdict = await verifyChain(source([...chain.slice(0, 2), ...chain.slice(3)]));
    expect(verdict).toMatchObject({
      ok: false,
      count: 2,
      broken: {
        id: chain[3]?.id,
        problem: expect.stringContaining('removed'),
        expected: chain[1]?.hash,
        found: chain[2]?.hash,
      },
    });
  });

  it('finds two records swapped at the first of them', async () => {
    const chain = buildChain(5);
    const verdict = await verifyChain(source([chain[0]!, chain[2]!, chain[1]!, chain[3]!, chain[4]!]));
    expect(verdict).toMatchObject({
      ok: false,
      count: 1,
      broken: { id: chain[2]?.id, expected: chain[0]?.hash, found: chain[1]?.hash },
    });
  });

  it('finds a record inserted into the chain', async () => {
    const chain = buildChain(3);
    const record = canonicalJson({ kind: 'request.queued', seq: 99 });
    const inserted = { id: '1700000000000-99', record, prev: chain[0]!.hash, hash: chainHash(chain[0]!.hash, record) };
    expect(await verifyChain(source([chain[0]!, inserted, chain[1]!, chain[2]!]))).toMatchObject({
      ok: false,
      broken: { id: chain[1]?.id },
    });
  });

  it('finds a removed tail: the chain ends before its head', async () => {
    const chain = buildChain(4);
    const verdict = await verifyChain(source(chain.slice(0, 3), { head: chain[3]?.hash }));
    expect(verdict).toMatchObject({
      ok: false,
      count: 3,
      broken: { id: chain[2]?.id, expected: chain[3]?.hash, found: chain[2]?.hash },
    });
  });

  it('finds a deleted head key', async () => {
    const chain = buildChain(2);
    expect(await verifyChain({ pages: pages(chain) })).toMatchObject({
      ok: false,
      broken: { problem: expect.stringContaining('no head') },
    });
  });

  it('starts from the anchor after a trim, and refuses a start that does not link to it', async () => {
    const chain = buildChain(6);
    expect(await verifyChain(source(chain.slice(3), { anchor: chain[2] }))).toEqual({
      ok: true,
      count: 3,
      firstId: chain[3]?.id,
      lastId: chain[5]?.id,
      anchoredAt: chain[2]?.id,
    });
    expect(await verifyChain(source(chain.slice(4), { anchor: chain[2] }))).toMatchObject({
      ok: false,
      count: 0,
      broken: { id: chain[4]?.id, expected: chain[2]?.hash },
    });
    expect(await verifyChain(source(chain.slice(3)))).toMatchObject({
      ok: false,
      broken: { id: chain[3]?.id, expected: genesisHash },
    });
  });
});
