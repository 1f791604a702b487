// coxswain console, as a new user would try it: the real bot against the test
// cluster and Redis, Slack emulated in-process, lines typed as Slack users.
import { describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allCommands } from '../../../commands/index.ts';
import { runConsole } from '../../../src/console/run-console.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';

const ns = useTestNamespace('console');
jest.setTimeout(120_000);

describe('coxswain console', () => {
  it('shows what Slack would show, switches users, and clicks a numbered button', async () => {
    await ns.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: makeDeployment('web', 'ghcr.io/acme/web:1.0'),
    });
    const policy = join(ns.cluster.dir, `console-${randomBytes(3).toString('hex')}.yaml`);
    await writeFile(
      policy,
      `
roles:
  ops:      [{ verbs: ["*"] }]
  approver: [{ verbs: [approve, get] }]
bindings:
  - { role: ops,      users: [U0ALICE] }
  - { role: approver, groups: [S0LEADS] }
approvals:
  - { namespaces: [${ns.name}], verbs: [deploy], approvers: { groups: [S0LEADS] } }
`,
    );
    const lines: string[] = [];
    await runConsole({
      env: {
        KUBECONFIG: ns.cluster.botKubeconfig,
        REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
        COXSWAIN_POLICY: policy,
        COXSWAIN_CLUSTER: `c-${randomBytes(4).toString('hex')}`,
        COXSWAIN_LOG_LEVEL: 'error',
      },
      specs: allCommands,
      groups: { S0LEADS: ['U0BOB'] },
      commands: ['whoami', `deploy web ghcr.io/acme/web:1.1 -n ${ns.name}`, ':click 1', ':as U0BOB', ':click 1'],
      write: (line) => lines.push(line),
    });
    const out = lines.join('\n');
    expect(out).toContain('(only you)  You are @U0ALICE');
    expect(out).toContain('in #C0OPS');
    expect(out).toMatch(/\[1 Approve\] \[2 Reject\]/u);
    expect(out).toContain('(only you)  You are not one of this request');
    expect(out).toMatch(/#C0OPS \(edited\) {2}✅ @U0ALICE → deploy web to ghcr\.io\/acme\/web:1\.1/u);
    const d = await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/acme/web:1.1');
  });
});
