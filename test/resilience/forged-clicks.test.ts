// Button clicks that are not Slack's: signed with the wrong secret, or replayed
// from too long ago. Bolt refuses them before any Coxswain code runs (401), and
// nothing changes: the approval card keeps its buttons, no vote is counted, no
// job is queued. The genuine click afterwards still works.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startTestBot, type TestBot } from '../support/bot.ts';
import { makeDeployment, useTestNamespace } from '../support/kube.ts';
import { writeApprovalPolicy } from '../support/policies/approval-policy.ts';
import { SlackEmulator, type SlackDriver } from '../support/slack-emulator/index.ts';
import { callText } from '../support/slack-flow.ts';

const ns = useTestNamespace('forged');
jest.setTimeout(60_000);

let emu: SlackEmulator;
let bot: TestBot;
let slack: SlackDriver;

beforeAll(async () => {
  const policyFile = await writeApprovalPolicy(ns.cluster.dir, 'forged', [
    `{ namespaces: [${ns.name}], verbs: [scale], approvers: { users: [U0BOB] } }`,
  ]);
  emu = await SlackEmulator.start();
  bot = await startTestBot({ emu, cluster: ns.cluster, policyFile });
  slack = emu.driver(bot.eventsUrl);
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: makeDeployment('web', 'ghcr.io/acme/web:1.0') });
});

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

describe('forged and replayed clicks', () => {
  it('are refused with 401 and change nothing; the genuine click still works', async () => {
    const since = emu.calls.length;
    await slack.slashCommand('/k8s', `scale web 3 -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0OPS' });
    const card = await emu.waitFor((c) => c.method === 'chat.postMessage' && callText(c).includes('approval request'), {
      since,
    });
    const ts = String(card.result['ts']);
    await emu.waitFor(
      (c) =>
        c.method === 'chat.update' &&
        c.params['ts'] === ts &&
        JSON.stringify(c.params['blocks']).includes('approval_approve'),
      { since },
    );
    const before = emu.calls.length;

    const forged = await slack.clickButton({
      channel: 'C0OPS',
      ts,
      actionId: 'approval_approve',
      user: 'U0BOB',
      signingSecret: 'an-attacker-guess',
    });
    const replayed = await slack.clickButton({
      channel: 'C0OPS',
      ts,
      actionId: 'approval_approve',
      user: 'U0BOB',
      timestampSec: Math.floor(Date.now() / 1000) - 600,
    });
    expect([forged.status, replayed.status]).toEqual([401, 401]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(emu.calls.slice(before).filter((c) => c.method !== 'auth.test')).toEqual([]);
    expect((await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name })).spec?.replicas).toBe(1);

    const genuine = await slack.clickButton({ channel: 'C0OPS', ts, actionId: 'approval_approve', user: 'U0BOB' });
    expect(genuine.status).toBe(200);
    await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] === ts && callText(c).includes('(approved)'),
      { since: before },
    );
  });
});
