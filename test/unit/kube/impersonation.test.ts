// The impersonation headers as undici will send them: one line per group, and no
// Impersonate-* header of the kubeconfig's own left to contradict the binding's.
import { describe, expect, it } from '@jest/globals';
import { impersonationHeaders } from '../../../src/kube/impersonation.ts';
import { describeForbidden } from '../../../src/kube/kube-errors.ts';

const alice = { user: 'alice@acme.com', groups: ['team-a', 'team-b'] };

describe('impersonationHeaders', () => {
  it("adds one Impersonate-User line and one Impersonate-Group line per group to fetch's header object", () => {
    expect(impersonationHeaders({ authorization: 'Bearer t', accept: 'application/json' }, alice)).toEqual([
      'authorization',
      'Bearer t',
      'accept',
      'application/json',
      'Impersonate-User',
      'alice@acme.com',
      'Impersonate-Group',
      'team-a',
      'Impersonate-Group',
      'team-b',
    ]);
  });

  it("replaces the kubeconfig's own impersonation (`as`, `as-group`) whatever its case or form", () => {
    const flat = ['Impersonate-User', 'mallory', 'impersonate-group', 'system:masters', 'accept', '*/*'];
    expect(impersonationHeaders(flat, { user: 'bob', groups: [] })).toEqual([
      'accept',
      '*/*',
      'Impersonate-User',
      'bob',
    ]);
    const pairs = new Map<string, string | string[]>([
      ['IMPERSONATE-GROUP', ['a', 'b']],
      ['x-trace', ['1', '2']],
    ]);
    expect(impersonationHeaders(pairs, { user: 'bob', groups: ['g'] })).toEqual([
      'x-trace',
      '1',
      'x-trace',
      '2',
      'Impersonate-User',
      'bob',
      'Impersonate-Group',
      'g',
    ]);
  });

  it('works on a request without headers', () => {
    expect(impersonationHeaders(null, { user: 'bob', groups: [] })).toEqual(['Impersonate-User', 'bob']);
  });
});

describe('describeForbidden with impersonation', () => {
  const refused =
    'deployments.apps "web" is forbidden: User "alice@acme.com" cannot patch resource "deployments" in API group "apps" in the namespace "prod"';

  it('names the impersonated identity, not the bot, and says the policy allowed it', () => {
    expect(describeForbidden(refused, alice)).toBe(
      'Kubernetes refused: Kubernetes user "alice@acme.com" (groups team-a, team-b) may not patch deployments.apps in namespace prod. The policy allowed it, but Kubernetes RBAC for that identity does not',
    );
  });

  it('blames the bot when it may not impersonate at all, and says where the grant lives', () => {
    const message =
      'users "alice@acme.com" is forbidden: User "system:serviceaccount:coxswain:coxswain" cannot impersonate resource "users" in API group "" at the cluster scope';
    expect(describeForbidden(message, alice)).toContain("the bot's Kubernetes identity may not impersonate users");
    expect(describeForbidden(message, alice)).toContain('deploy/overlays/impersonation');
  });

  it('blames the missing write grant without impersonation, and says how to make it', () => {
    expect(describeForbidden(refused)).toBe(
      'Kubernetes refused: the bot may not patch deployments.apps in namespace prod: no RoleBinding there grants it the ClusterRole coxswain-write. ' +
        'The bot may change only the namespaces its grants name; an admin generates them from the policy with `coxswain rbac` (docs/security.md#kubernetes-rbac)',
    );
    expect(
      describeForbidden(
        refused
          .replace('patch resource "deployments"', 'list resource "pods"')
          .replace('API group "apps"', 'API group ""'),
      ),
    ).toBe("the bot's Kubernetes identity may not list pods in namespace prod (its RBAC lacks that permission)");
  });
});
