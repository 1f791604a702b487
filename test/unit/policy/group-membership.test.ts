import { describe, expect, it } from '@jest/globals';
import { createGroupMembership, groupsNamedIn } from '../../../src/policy/group-membership.ts';
import { parsePolicy } from '../../../src/policy/load-policy.ts';

describe('createGroupMembership', () => {
  it('asks Slack once per group within the TTL, then again after it', async () => {
    let now = 0;
    const calls: string[] = [];
    const membership = createGroupMembership({
      list: async (g) => {
        calls.push(g);
        return g === 'S0DEVS' ? ['U0ALICE'] : ['U0BOB'];
      },
      ttlMs: 1000,
      now: () => now,
    });
    expect(await membership.groupsOf('U0ALICE', ['S0DEVS', 'S0OPS'])).toEqual(['S0DEVS']);
    expect(await membership.groupsOf('U0BOB', ['S0DEVS', 'S0OPS'])).toEqual(['S0OPS']);
    expect(calls).toEqual(['S0DEVS', 'S0OPS']);
    now = 1001;
    await membership.groupsOf('U0ALICE', ['S0DEVS']);
    expect(calls).toEqual(['S0DEVS', 'S0OPS', 'S0DEVS']);
  });

  it('counts a group it cannot read as not containing the person, and does not remember the failure', async () => {
    let fail = true;
    const membership = createGroupMembership({
      list: async () => {
        if (fail) throw new Error('ratelimited');
        return ['U0ALICE'];
      },
    });
    expect(await membership.groupsOf('U0ALICE', ['S0DEVS'])).toEqual([]);
    fail = false;
    expect(await membership.groupsOf('U0ALICE', ['S0DEVS'])).toEqual(['S0DEVS']);
  });

  it('keeps at most maxGroups groups in memory', async () => {
    const calls: string[] = [];
    const membership = createGroupMembership({
      list: async (g) => {
        calls.push(g);
        return [];
      },
      maxGroups: 2,
    });
    await membership.groupsOf('U0X', ['S1', 'S2', 'S3']);
    await membership.groupsOf('U0X', ['S1']);
    expect(calls.filter((g) => g === 'S1')).toHaveLength(2);
  });
});

describe('groupsNamedIn', () => {
  it('collects the groups of bindings and approvers once each', () => {
    const p = parsePolicy(
      'roles: { a: [{ verbs: [get] }] }\nbindings: [{ role: a, groups: [S0A, S0B] }, { role: a, groups: [S0A] }]\napprovals: [{ namespaces: [prod], verbs: [deploy], approvers: { groups: [S0C] } }]\n',
      'p.yaml',
    );
    expect(groupsNamedIn(p)).toEqual(['S0A', 'S0B', 'S0C']);
  });
});
