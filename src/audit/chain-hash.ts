import { createHash } from 'node:crypto';

/** The "previous hash" of the first record ever written. */
export const genesisHash = '0'.repeat(64);

/**
 * The hash that links a record to the one before it: SHA-256 over the previous
 * hash and the record's stored JSON. Changing, removing or moving any record
 * changes every hash after it.
 */
export function chainHash(prev: string, recordJson: string): string {
  return createHash('sha256').update(prev).update('\n').update(recordJson).digest('hex');
}
