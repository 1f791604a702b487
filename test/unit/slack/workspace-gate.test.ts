// Which workspaces may ask: the home ones, guests the policy names, and nobody while the home is not known.
import { describe, expect, it } from '@jest/globals';
import { createWorkspaceGate, type RequestOrigin } from '../../../src/slack/workspace-gate.ts';

const named = new Set(['U0NAMED', 'T0PARTNER']);
const gate = (home: readonly string[] | undefined) =>
  createWorkspaceGate({
    home: () => home,
    admitsGuest: (user, team) => named.has(user) || named.has(team),
  });
const from = (o: Partial<RequestOrigin>): RequestOrigin => ({ userId: 'U0ALICE', ...o });

describe('workspace gate', () => {
  it.each([
    ['a colleague', from({ team: 'T0HOME' }), { ok: true }],
    ['a colleague clicking', from({ team: 'T0HOME', userTeam: 'T0HOME' }), { ok: true }],
    ['a stranger typing', from({ team: 'T0ELSE' }), { ok: false }],
    ['a stranger clicking in a shared channel', from({ team: 'T0HOME', userTeam: 'T0ELSE' }), { ok: false }],
    [
      'a guest of a named workspace',
      from({ team: 'T0HOME', userTeam: 'T0PARTNER' }),
      { ok: true, externalTeam: 'T0PARTNER' },
    ],
    ['a guest named by ID', from({ userId: 'U0NAMED', team: 'T0ELSE' }), { ok: true, externalTeam: 'T0ELSE' }],
    ['a request naming no workspace', from({}), { ok: false }],
  ] as const)('%s', (_what, origin, verdict) => {
    expect(gate(['T0HOME']).check(origin)).toMatchObject(verdict);
  });

  it("serves an Enterprise Grid organization's workspaces when pinned to the organization", () => {
    expect(gate(['E0ORG']).check(from({ team: 'T0ANY', enterprise: 'E0ORG' }))).toEqual({ ok: true });
    expect(gate(['E0ORG']).check(from({ team: 'T0ANY', enterprise: 'E0OTHER' })).ok).toBe(false);
  });

  it('refuses everyone while the home workspace is not known, saying why', () => {
    expect(gate(undefined).check(from({ team: 'T0HOME' }))).toEqual({
      ok: false,
      reason: expect.stringContaining('has not learned yet which Slack workspace'),
    });
  });

  it('names the workspaces served and the refused one', () => {
    expect(gate(['T0HOME', 'T0TWO']).check(from({ team: 'T0ELSE' }))).toEqual({
      ok: false,
      reason: expect.stringContaining('serves workspace T0HOME, T0TWO only'),
    });
  });
});
