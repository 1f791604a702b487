import { describe, expect, it } from '@jest/globals';
import { createAuthorizer } from '../../../src/policy/authorizer.ts';
import { createGroupMembership } from '../../../src/policy/group-membership.ts';
import { parsePolicy } from '../../../src/policy/load-policy.ts';
import { staticPolicyStore } from '../../../src/policy/policy-store.ts';

const policy = parsePolicy(
  `
roles:
  deployer: [{ verbs: [deploy, scale] }]
bindings:
  - { role: deployer, groups: [S0DEVS] }
approvals:
  - { namespaces: [prod], verbs: [deploy], approvers: { users: [U0BOB] } }
`,
  'p.yaml',
);
const membership = createGroupMembership({ list: async (g) => (g === 'S0DEVS' ? ['U0ALICE'] : []) });
const authorizer = createAuthorizer(staticPolicyStore(policy, 'p.yaml'), membership);
const alice = { userId: 'U0ALICE', userName: 'alice', teamId: 'T1', channelId: 'C0OPS' };

describe('createAuthorizer', () => {
  it('resolves user groups from Slack before deciding', async () => {
    expect(await authorizer.check(alice, { verb: 'scale', namespace: 'prod', deployment: 'web' })).toMatchObject({
      allowed: true,
      rule: 'role deployer (bindings[0], rule 1)',
    });
    expect(
      (await authorizer.check({ ...alice, userId: 'U0BOB' }, { verb: 'scale', namespace: 'prod', deployment: 'web' }))
        .allowed,
    ).toBe(false);
  });

  it('allows by the policy and names the approval rule a request also needs', async () => {
    expect((await authorizer.check(alice, { verb: 'deploy', namespace: 'prod', deployment: 'web' })).allowed).toBe(
      true,
    );
    expect(authorizer.approvalRule({ verb: 'deploy', namespace: 'prod', deployment: 'web' })).toMatchObject({
      required: 1,
      approvers: { users: ['U0BOB'] },
    });
    expect(authorizer.approvalRule({ verb: 'deploy', namespace: 'staging', deployment: 'web' })).toBeUndefined();
    expect(authorizer.approvalRule({ verb: 'scale', namespace: 'prod', deployment: 'web' })).toBeUndefined();
  });

  it('summarizes the roles that apply, for whoami', async () => {
    const summary = await authorizer.summarize(alice);
    expect(summary.roles).toEqual([{ role: 'deployer', rules: ['deploy, scale in every namespace'] }]);
    expect(summary.source).toBe('p.yaml');
  });
});
