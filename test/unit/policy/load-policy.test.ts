import { describe, expect, it } from '@jest/globals';
import { loadPolicy, parsePolicy, PolicyError } from '../../../src/policy/load-policy.ts';

const problems = (text: string): string[] => {
  try {
    parsePolicy(text, 'policy.yaml');
  } catch (error) {
    if (error instanceof PolicyError) return [...error.problems];
    throw error;
  }
  throw new Error('the policy validated');
};

describe('parsePolicy', () => {
  it('fills defaults: rules cover every namespace and deployment, approvals expire after 30m', () => {
    const p = parsePolicy(
      'roles: { viewer: [{ verbs: [get] }] }\napprovals: [{ namespaces: [prod], verbs: [deploy], approvers: { users: [U0BOB] } }]\n',
      'p.yaml',
    );
    expect(p.roles['viewer']?.[0]).toEqual({ verbs: ['get'], namespaces: ['*'], deployments: ['*'] });
    expect(p.approvals[0]).toMatchObject({ required: 1, expiresAfter: '30m', allowSelfApproval: false });
  });

  it.each([
    [
      'roles:\n  viewer:\n    - { verbs: [get, destroy] }\n',
      'policy.yaml:3: roles.viewer[0].verbs[1]: is one of get, logs, status, history, deploy, scale, restart, undo, approve, audit, lock, break, or "*"',
    ],
    [
      'roles: { viewer: [{ verbs: [get] }] }\nbindings:\n  - { role: viewer, users: [alice] }\n',
      'policy.yaml:3: bindings[0].users[0]: is a Slack user ID',
    ],
    [
      'roles: { viewer: [{ verbs: [get] }] }\nbindings:\n  - { role: admin, users: ["*"] }\n',
      'policy.yaml:3: bindings[0].role: names role "admin", which is not defined under roles',
    ],
    [
      'roles: { viewer: [{ verbs: [get] }] }\nbindings:\n  - { role: viewer }\n',
      'a binding names users, groups or channels',
    ],
    [
      'roles: { viewer: [{ verbs: [get], namespace: [prod] }] }\n',
      'policy.yaml:1: roles.viewer[0]: Unrecognized key: "namespace"',
    ],
    ['roles:\n  viewer: [{ verbs: [get] }\n', 'policy.yaml:'],
    ['\n  \n', 'policy.yaml: is empty'],
    [
      'roles: { ops: [{ verbs: [get] }] }\nbindings:\n  - { role: ops, users: [U0ALICE], kubernetes: { user: "alice\\r\\nX-Evil: 1" } }\n',
      'policy.yaml:3: bindings[0].kubernetes.user: a Kubernetes user or group name is printable ASCII',
    ],
    [
      'roles: { ops: [{ verbs: [get] }] }\nbindings:\n  - { role: ops, users: [U0ALICE], kubernetes: { user: alice, groups: [" devs"] } }\n',
      'bindings[0].kubernetes.groups[0]: a Kubernetes user or group name',
    ],
    [
      'approvals:\n  - { namespaces: [prod], verbs: [deploy], approvers: { roles: [boss] }, expiresAfter: soon }\n',
      'expiresAfter: is a duration',
    ],
    [
      'roles:\n  viewer:\n    - verbs: [get]\n      namespace: [prod]\n',
      'policy.yaml:4: roles.viewer[0]: Unrecognized key: "namespace" (did you mean "namespaces"?)',
    ],
    [
      'roles: {}\nbindings: []\napprovals: []\nalert:\n  routes: []\n',
      'policy.yaml:4: (top level): Unrecognized key: "alert" (did you mean "alerts"?)',
    ],
    [
      'roles:\n  viewer: [{ verbs: [get] }]\n  viewer: [{ verbs: [logs] }]\n',
      'policy.yaml:3: Map keys must be unique: "viewer" appears more than once',
    ],
    ['roles:\n  Viewer: [{ verbs: [get] }]\n', 'policy.yaml:2: roles.Viewer: role names are lowercase words'],
    [
      'approvals:\n  - { namespaces: [prod], verbs: [deploy], approvers: {} }\n',
      'policy.yaml:2: approvals[0].approvers: names no approvers',
    ],
    [
      'approvals:\n  - namespaces: [prod]\n    verbs: [deploy]\n    approvers: { users: [] }\n',
      'policy.yaml:4: approvals[0].approvers: names no approvers',
    ],
    [
      'approvals:\n  - namespaces: [prod]\n    verbs: [deploy]\n    approvers: { users: [U0BOB, U0BOB] }\n    required: 2\n',
      'policy.yaml:5: approvals[0].required: is 2, but approvers names only 1 user(s)',
    ],
    ['defaultNamespace: Prod_1\n', 'policy.yaml:1: defaultNamespace: is a namespace name'],
  ])('names file, line and field for %j', (text, expected) => {
    expect(problems(text).join('\n')).toContain(expected);
  });

  it("reports every problem of the file's shape at once, not only the first", () => {
    expect(problems('roles: { a: [{ verbs: [nope] }] }\nbindings: [{ role: a, users: [x] }]\n')).toHaveLength(2);
  });

  it('lets a role, a group or "*" among the approvers be enough for any number of approvals', () => {
    expect(() =>
      parsePolicy(
        'roles: { a: [{ verbs: [approve] }] }\napprovals:\n  - { namespaces: [prod], verbs: [deploy], approvers: { roles: [a], users: [U0BOB] }, required: 3 }\n',
        'p.yaml',
      ),
    ).not.toThrow();
    expect(() =>
      parsePolicy(
        'approvals:\n  - { namespaces: [prod], verbs: [deploy], approvers: { users: ["*"] }, required: 3 }\n',
        'p.yaml',
      ),
    ).not.toThrow();
  });

  it('refuses an alias bomb at its first alias instead of expanding it', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...['b', 'c', 'd', 'e', 'f'].map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcde'[i]}`).join(', ')}]`),
    ].join('\n');
    expect(problems(bomb)).toEqual([expect.stringMatching(/^policy\.yaml:2: cannot be expanded: /)]);
  });

  it('keeps each problem on one line, escaping control characters in keys', () => {
    const found = problems('roles: {}\n"evil\\nkey\\u001b[31m": 1\n');
    expect(found).toHaveLength(1);
    expect(found[0]).not.toMatch(/\p{Cc}/u);
    expect(found[0]).toContain('policy.yaml:2: (top level): Unrecognized key: "evil\\nkey\\u001b[31m"');
  });

  it('says when the file cannot be read', async () => {
    await expect(loadPolicy('/nonexistent/policy.yaml')).rejects.toThrow(
      '/nonexistent/policy.yaml: cannot be read (ENOENT)',
    );
  });
});
