// Workspace pinning: the signature proves a request is Slack's, not that it is
// from a colleague. People of another workspace (Slack Connect) are refused and
// recorded unless the policy names them or their workspace; and then `users:
// ["*"]` still does not cover them — only the bindings that name them do.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startGuardedBot, type GuardedBot } from '../../support/guarded-bot.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import { callText, waitForJob } from '../../support/slack-flow.ts';

const ns = useTestNamespace('workspaces');
jest.setTimeout(60_000);
let g: GuardedBot;
const guests = [
  { id: 'U0PARTNER', name: 'partner', teamId: 'T0PARTNER' }, // their workspace is named under teams
  { id: 'U0NAMED', name: 'named', teamId: 'T0ELSEWHERE' }, // named by ID
  { id: 'U0STRANGER', name: 'stranger', teamId: 'T0ELSEWHERE' }, // neither
];

beforeAll(async () => {
  g = await startGuardedBot({
    ns,
    guests,
    policy: `
roles:
  viewer:   [{ verbs: [get] }]
  deployer: [{ verbs: [deploy, scale] }]
  approver: [{ verbs: [approve] }]
bindings:
  - { role: viewer,   users: ["*"], teams: [T0PARTNER] }
  - { role: deployer, users: ["*"] }
  - { role: deployer, users: [U0NAMED] }
  - { role: approver, users: [U0BOB, U0PARTNER] }
approvals:
  - { namespaces: [${ns.name}], verbs: [scale], approvers: { users: [U0BOB, U0PARTNER] } }
`,
  });
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: makeDeployment('web', 'ghcr.io/acme/web:1.0') });
});
afterAll(async () => {
  await g?.stop();
});

describe('workspaces', () => {
  it('refuses a person of a workspace the policy does not name, posts nothing and records it', async () => {
    const since = g.emu.calls.length;
    const answer = await g.say('U0STRANGER', `get pods -n ${ns.name}`);
    expect(answer).toContain('serves workspace T0001 only');
    expect(g.emu.calls.slice(since).filter((c) => c.method === 'chat.postMessage')).toEqual([]);
    expect(await g.audit()).toContainEqual(
      expect.objectContaining({
        kind: 'request.refused',
        user: 'U0STRANGER',
        decision: 'refused',
        detail: expect.objectContaining({ reason: 'foreign_workspace', team: 'T0ELSEWHERE' }),
      }),
    );
  });

  it('lets a guest of a named workspace do what bindings naming it allow, and no more: users ["*"] does not cover them', async () => {
    const since = g.emu.calls.length;
    expect(await g.say('U0PARTNER', `get pods -n ${ns.name}`)).toBe('');
    expect(callText((await waitForJob(g.emu, 'get pods', { since })).final)).toMatch(/^✅/u);
    const refused = await g.say('U0PARTNER', `deploy web ghcr.io/acme/web:2.0 -n ${ns.name}`);
    expect(refused).toContain('You may not deploy web');
    expect(refused).toContain('your roles here (viewer, approver)');
  });

  it('lets a guest named by ID in', async () => {
    const since = g.emu.calls.length;
    expect(await g.say('U0NAMED', `deploy web ghcr.io/acme/web:2.0 -n ${ns.name}`)).toBe('');
    expect(callText((await waitForJob(g.emu, 'deploy web', { since })).final)).toMatch(/^✅/u);
  });

  it('refuses an approval click from another workspace, changing nothing', async () => {
    const since = g.emu.calls.length;
    expect(await g.say('U0ALICE', `scale web 3 -n ${ns.name}`)).toBe('');
    const card = await g.emu.waitFor(
      (c) => c.method === 'chat.update' && JSON.stringify(c.params['blocks'] ?? '').includes('approval_approve'),
      { since },
    );
    const ts = String(card.params['ts']);
    const clicked = g.emu.calls.length;
    await g.slack.clickButton({ channel: 'C0OPS', ts, actionId: 'approval_approve', user: 'U0STRANGER' });
    await g.emu.waitFor((c) => c.method === 'response_url', { since: clicked });
    expect(JSON.stringify(g.emu.ephemerals('U0STRANGER').at(-1))).toContain('serves workspace T0001 only');
    expect(await g.audit()).toContainEqual(
      expect.objectContaining({
        kind: 'request.refused',
        user: 'U0STRANGER',
        detail: expect.objectContaining({ action: 'approval vote' }),
      }),
    );
    expect((await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name })).spec?.replicas).toBe(1);
    // A guest the policy names may vote.
    await g.slack.clickButton({ channel: 'C0OPS', ts, actionId: 'approval_approve', user: 'U0PARTNER' });
    await g.emu.waitFor((c) => c.method === 'chat.update' && /^✅ .*scale web/u.test(callText(c)), {
      since: clicked,
      timeoutMs: 45_000,
    });
  });

  it("refuses the bot token's own workspace when SLACK_TEAM_ID names others", async () => {
    const pinned = await startGuardedBot({
      ns,
      env: { SLACK_TEAM_ID: 'T0PINNED,E0ORG' },
      policy: 'roles: { viewer: [{ verbs: [get] }] }\nbindings: [{ role: viewer, users: ["*"] }]\n',
    });
    try {
      expect(await pinned.say('U0ALICE', `get pods -n ${ns.name}`)).toContain('serves workspace T0PINNED, E0ORG only');
    } finally {
      await pinned.stop();
    }
  });
});
