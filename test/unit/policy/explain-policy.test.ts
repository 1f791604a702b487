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
    const text = explainPolicy(parsePolicy(`
roles: { ops: [{ verbs: ["*"] }], unused: [{ verbs: [get] }] }
bindings: [{ role: ops, users: ["*"] }]
`, 'p.yaml'), 'p.yaml');
    expect(text).toContain('role unused is bound to nobody');
    expect(text).toContain('bindings[0] lets everyone in every channel change deployments (role ops)');
  });
});
