import { describe, expect, it } from '@jest/globals';
import { matchesFilter } from '../../../src/audit/audit-filter.ts';
import type { AuditRecord } from '../../../src/audit/audit-record.ts';

const record = (over: Partial<AuditRecord> = {}): AuditRecord => ({
  v: 1,
  seq: 1,
  time: '2030-01-02T10:00:00.000Z',
  cluster: 'c',
  kind: 'request.denied',
  user: 'U0ALICE',
  verb: 'deploy',
  ...over,
});

describe('matchesFilter', () => {
  it.each([
    [{ limit: 20 }, record(), true],
    [{ limit: 20, user: 'U0ALICE' }, record(), true],
    [{ limit: 20, user: 'U0BOB' }, record(), false],
    [{ limit: 20, user: 'U0ALICE' }, record({ user: undefined, kind: 'audit.trimmed' }), false],
    [{ limit: 20, verb: 'deploy' }, record(), true],
    [{ limit: 20, verb: 'scale' }, record(), false],
    [{ limit: 20, sinceMs: Date.parse('2030-01-02T09:00:00Z') }, record(), true],
    [{ limit: 20, sinceMs: Date.parse('2030-01-02T10:00:00Z') }, record(), true],
    [{ limit: 20, sinceMs: Date.parse('2030-01-02T11:00:00Z') }, record(), false],
    [{ limit: 20, user: 'U0ALICE', verb: 'deploy', sinceMs: 0 }, record(), true],
  ])('%j on %j → %s', (filter, r, expected) => {
    expect(matchesFilter(r, filter)).toBe(expected);
  });
});
