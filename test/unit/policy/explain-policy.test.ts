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
});
