// The write grants `coxswain rbac` makes: the namespaces the policy changes as the bot, globs resolved, protected ones
// never.
import { describe, expect, it } from '@jest/globals';
import { parsePolicy } from '../../../src/policy/load-policy.ts';
import {
  changedNamespaceGlobs,
  planWriteGrants,
  renderWriteGrants,
  writeGrant,
} from '../../../src/policy/write-grants.ts';

const policy = parsePolicy(
  `
roles:
  viewer:   [{ verbs: [get, logs], namespaces: ["*"] }]
  deployer: [{ verbs: [deploy, scale], namespaces: [staging, prod] }]
  team:     [{ verbs: [restart], namespaces: ["team-*"] }]
  imperson: [{ verbs: [undo], namespaces: [payments] }]
  unbound:  [{ verbs: [deploy], namespaces: [forgotten] }]
  star:     [{ verbs: ["*"], namespaces: [kube-system] }]
bindings:
  - { role: viewer,   users: ["*"] }
  - { role: deployer, users: [U0ALICE] }
  - { role: team,     groups: [S0TEAM] }
  - { role: imperson, users: [U0BOB], kubernetes: { user: bob@acme.com } }
  - { role: star,     users: [U0ROOT] }
`,
  'p.yaml',
);
const guards = { protectedNamespaces: ['kube-system', 'coxswain'] };

describe('write grants', () => {
  it('takes the namespaces of changing rules of roles bound without a Kubernetes identity', () => {
    expect(changedNamespaceGlobs(policy).sort()).toEqual(['kube-system', 'prod', 'staging', 'team-*']);
  });

  it('resolves globs against the namespaces given, and never grants a protected one', () => {
    expect(planWriteGrants(policy, guards, ['team-a', 'team-b', 'other', 'kube-system'])).toEqual({
      namespaces: ['prod', 'staging', 'team-a', 'team-b'],
      unresolved: [],
      protected: ['kube-system'],
      absent: [],
    });
  });

  it("leaves out, and names, namespaces the policy names that the cluster lacks, when the list is the cluster's", () => {
    const plan = planWriteGrants(policy, guards, ['prod', 'team-a', 'kube-system'], true);
    expect(plan).toEqual({
      namespaces: ['prod', 'team-a'],
      unresolved: [],
      protected: ['kube-system'],
      absent: ['staging'],
    });
    const yaml = renderWriteGrants(plan, { namespace: 'coxswain', name: 'coxswain' }, 'p.yaml');
    expect(yaml).toContain('# Not granted, not in the cluster: staging; generate and apply again once they exist.');
    expect(yaml.match(/kind: RoleBinding/gu)).toHaveLength(2);
    // A list given by hand only resolves globs: literal names are granted as they are.
    expect(planWriteGrants(policy, guards, ['team-a']).namespaces).toEqual(['prod', 'staging', 'team-a']);
  });

  it('says which globs match nothing rather than guessing', () => {
    expect(planWriteGrants(policy, guards).unresolved).toEqual(['team-*']);
  });

  it("renders one RoleBinding of coxswain-write per namespace, for the bot's ServiceAccount", () => {
    const yaml = renderWriteGrants(
      planWriteGrants(policy, guards, ['team-a']),
      { namespace: 'coxswain', name: 'coxswain' },
      'p.yaml',
    );
    expect(yaml.match(/kind: RoleBinding/gu)).toHaveLength(3);
    expect(yaml).toContain('Not granted, protected whatever the policy says: kube-system');
    expect(writeGrant('prod', { namespace: 'bots', name: 'cox' })).toMatchObject({
      metadata: { name: 'coxswain-write', namespace: 'prod' },
      roleRef: { kind: 'ClusterRole', name: 'coxswain-write' },
      subjects: [{ kind: 'ServiceAccount', name: 'cox', namespace: 'bots' }],
    });
  });
});
