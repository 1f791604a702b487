// Who reads what of the audit trail: a reader sees the records of the namespaces
// their `audit` rules cover (a record of no namespace needs them all); "*" verbs
// do not include `audit`; and an approval rule on a verb that never waits for
// approval is refused, not silently ignored.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { startGuardedBot, type GuardedBot } from '../../support/guarded-bot.ts';
import { waitUntil } from '../../support/cluster/processes.ts';
import { useTestNamespace } from '../../support/kube.ts';
import { waitForJob } from '../../support/slack-flow.ts';

const a = useTestNamespace('scope-a');
const b = useTestNamespace('scope-b');
jest.setTimeout(60_000);
let g: GuardedBot;

const policy = (): string => `
roles:
  viewer:     [{ verbs: [get] }]
  ns-auditor: [{ verbs: [audit], namespaces: [${a.name}] }]
  star:       [{ verbs: ["*"], namespaces: [${a.name}] }]
  auditor:    [{ verbs: [audit] }]
bindings:
  - { role: viewer,     users: ["*"] }
  - { role: ns-auditor, users: [U0DAVE] }
  - { role: star,       users: [U0EVE] }
  - { role: auditor,    users: [U0CAROL] }
`;

beforeAll(async () => {
  g = await startGuardedBot({ ns: a, policy: policy() });
  for (const ns of [a.name, b.name]) {
    const since = g.emu.calls.length;
    expect(await g.say('U0ALICE', `get pods -n ${ns}`)).toBe('');
    await waitForJob(g.emu, `get pods in ${ns}`, { since });
  }
  await g.say('U0ALICE', 'whoami');
});
afterAll(async () => {
  await g?.stop();
});

describe('audit scope', () => {
  it('shows a reader only the namespaces their audit rules cover', async () => {
    const seen = await g.say('U0DAVE', 'audit --user <@U0ALICE>');
    expect(seen).toContain(`get pods -n ${a.name}`);
    expect(seen).not.toContain(`get pods -n ${b.name}`);
    expect(seen).not.toContain('whoami');
    expect(seen).toContain('only the namespaces your audit rules cover');
  });

  it('shows the whole trail to a reader whose rule covers every namespace', async () => {
    const seen = await g.say('U0CAROL', 'audit --user <@U0ALICE>');
    for (const text of [`get pods -n ${a.name}`, `get pods -n ${b.name}`, 'whoami']) expect(seen).toContain(text);
    expect(seen).not.toContain('only the namespaces');
  });

  it('does not count "*" as audit', async () => {
    expect(await g.say('U0EVE', 'audit')).toContain('You may not audit');
  });

  it('refuses an approval rule on a verb that never waits for approval, keeping the policy in force', async () => {
    const file = g.policyFile;
    await writeFile(
      file,
      `${policy()}approvals:\n  - { namespaces: ["*"], verbs: [lock, audit], approvers: { users: [U0CAROL] } }\n`,
    );
    await waitUntil(
      async () => g.bot.logs.some((l) => l.includes('policy change refused') && l.includes('never waits for approval')),
      { what: 'the reload to refuse the new policy', timeoutMs: 15_000 },
    );
    expect(await g.say('U0CAROL', 'audit --limit 1')).toContain('Audit');
  });
});
