import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { explainPolicy } from '../../../src/policy/explain-policy.ts';
import { parsePolicy } from '../../../src/policy/load-policy.ts';

describe('explainPolicy', () => {
  it('explains the example policy shipped in deploy/examples', async () => {
    const file = new URL('../../../deploy/examples/policy.yaml', import.meta.url);
    const text = explainPolicy(parsePolicy(await readFile(file, 'utf8'), 'policy.yaml'), 'policy.yaml');
    expect(text).toContain('policy.yaml: valid — 4 roles, 4 bindings, 1 approval rules, 2 alert routes');
    expect(text).toContain('bindings[1] U0ALICE, group S0DEVS in C0DEPLOYS: role deployer');
    expect(text).toContain('may deploy, scale, restart, undo in staging, prod');
    expect(text).toContain('1 approval(s) from role approver, expires after 30m, self-approval not allowed');
    expect(text).not.toContain('Warnings');
  });

  it('warns about what is probably a mistake', () => {
    const text = explainPolicy(
      parsePolicy(
        `
roles: { ops: [{ verbs: ["*"] }], unused: [{ verbs: [get] }] }
bindings: [{ role: ops, users: ["*"] }]
`,
        'p.yaml',
      ),
      'p.yaml',
    );
    expect(text).toContain('role unused is bound to nobody');
    expect(text).toContain('bindings[0] lets everyone in every channel change deployments (role ops)');
  });

  it('warns of rules that would reach a protected namespace, and of "*" relied on for audit', () => {
    const text = explainPolicy(
      parsePolicy(
        `
roles:
  deployer: [{ verbs: [deploy], namespaces: ["*"] }]
  reader:   [{ verbs: [get], namespaces: [kube-system] }]
  ops:      [{ verbs: ["*"], namespaces: [prod] }]
bindings: [{ role: deployer, users: [U0A] }, { role: reader, users: [U0B] }, { role: ops, users: [U0C] }]
logs: { requesterOnly: [prod] }
`,
        'p.yaml',
      ),
      'p.yaml',
      { protectedNamespaces: ['kube-system', 'coxswain'] },
    );
    expect(text).toContain('Protected (never changed, whatever the policy says): kube-system, coxswain');
    expect(text).toContain(
      'role deployer rule 1 (deploy in every namespace) would let changes reach kube-system, coxswain',
    );
    expect(text).not.toContain('role reader rule 1');
    expect(text).toContain('role ops rule 1 says "*", which does not include audit or break');
    expect(text).toContain('/k8s logs output only to the requester in: prod');
  });

  it('warns of approvers whom no binding lets approve where the rule holds requests', () => {
    const text = explainPolicy(
      parsePolicy(
        `
roles:
  deployer: [{ verbs: [deploy, scale], namespaces: [prod, staging] }]
  sre:      [{ verbs: [get] }]
  approver: [{ verbs: [approve], namespaces: [staging] }]
  lead:     [{ verbs: [approve], namespaces: [prod] }]
bindings:
  - { role: deployer, users: [U0DEV] }
  - { role: sre, users: [U0SRE] }
  - { role: approver, users: [U0SRE, U0BOB] }
  - { role: lead, groups: [S0LEADS] }
approvals:
  - { namespaces: [prod], verbs: [deploy], approvers: { roles: [sre, deployer], users: [U0BOB], groups: [S0LEADS] } }
  - { namespaces: [staging], verbs: [scale], approvers: { roles: [sre], groups: [S0OPS] } }
`,
        'p.yaml',
      ),
      'p.yaml',
    );
    // sre's people (U0SRE) approve through role approver, but only in staging.
    expect(text).toContain('approvals[0] names role sre as approver, but no role bound to them may approve in prod');
    expect(text).toContain('approvals[0] names role deployer as approver');
    // U0BOB might be in S0LEADS, whose binding approves in prod: not known offline, so not warned of.
    expect(text).not.toContain('names U0BOB');
    expect(text).not.toContain('names group S0LEADS');
    expect(text).not.toContain('approvals[1] names role sre');
    expect(text).toContain(
      'approvals[1] names group S0OPS as approver, but no role bound to them may approve in staging',
    );
  });

  it('warns of a user approver when no binding, theirs or a group one, lets them approve', () => {
    const policy = (extra: string): string =>
      explainPolicy(
        parsePolicy(
          `
roles: { deployer: [{ verbs: [deploy], namespaces: [prod] }], approver: [{ verbs: [approve] }] }
bindings: [{ role: deployer, users: [U0DEV] }${extra}]
approvals: [{ namespaces: [prod], verbs: [deploy], approvers: { users: [U0BOB] } }]
`,
          'p.yaml',
        ),
        'p.yaml',
      );
    expect(policy('')).toContain('approvals[0] names U0BOB as approver, but no role bound to them may approve in prod');
    expect(policy(', { role: approver, users: [U0BOB] }')).not.toContain('names U0BOB');
    expect(policy(', { role: approver, channels: [C0OPS] }')).not.toContain('names U0BOB');
  });
});
