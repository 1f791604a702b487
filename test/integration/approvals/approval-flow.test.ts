// Approvals end to end: a request the policy holds becomes a card, the worker
// binds its plan, approvers click (signed block_actions) or type, and the
// approved job runs in the card's thread — or the request is rejected, expires,
// or finds its target changed.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { makeDeployment, useTestNamespace, waitForObject } from '../../support/kube.ts';
import { SlackEmulator, type RecordedCall, type SlackDriver } from '../../support/slack-emulator/index.ts';
import { callText } from '../../support/slack-flow.ts';

const prod = useTestNamespace('appr-prod');
const short = useTestNamespace('appr-short');
const pair = useTestNamespace('appr-pair');
jest.setTimeout(60_000);

let emu: SlackEmulator;
let bot: TestBot;
let slack: SlackDriver;
let policyFile: string;
const people = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE', 'U0BOT'];

beforeAll(async () => {
  policyFile = join(prod.cluster.dir, `approvals-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(
    policyFile,
    `
roles:
  deployer: [{ verbs: [deploy, scale, restart, undo] }]
  approver: [{ verbs: [approve] }]
  viewer:   [{ verbs: [get, status, history] }]
bindings:
  - { role: deployer, users: [U0ALICE, U0BOB] }
  - { role: approver, users: [U0BOB, U0CAROL] }
  - { role: viewer,   users: ["*"] }
approvals:
  - { namespaces: [${prod.name}], verbs: [deploy, scale], approvers: { roles: [approver] }, required: 1, expiresAfter: 30m }
  - { namespaces: [${short.name}], verbs: [scale], approvers: { roles: [approver] }, expiresAfter: 2s }
  - { namespaces: [${pair.name}], verbs: [scale], approvers: { roles: [approver] }, required: 2 }
`,
  );
  emu = await SlackEmulator.start({
    allowWarnings: ['channel_rate'],
    users: people.filter((u) => u !== 'U0BOT').map((id) => ({ id, name: id.slice(2).toLowerCase() })),
    channels: [{ id: 'C0OPS', name: 'ops', members: people }],
  });
  bot = await startTestBot({ emu, cluster: prod.cluster, policyFile });
  slack = emu.driver(bot.eventsUrl);
  await prod.apps.createNamespacedDeployment({
    namespace: prod.name,
    body: makeDeployment('web', 'ghcr.io/acme/web:1.0', { replicas: 2 }),
  });
  await short.apps.createNamespacedDeployment({
    namespace: short.name,
    body: makeDeployment('api', 'ghcr.io/acme/api:1.0'),
  });
  await pair.apps.createNamespacedDeployment({
    namespace: pair.name,
    body: makeDeployment('api', 'ghcr.io/acme/api:1.0'),
  });
});

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

const hasButtons = (c: RecordedCall): boolean => JSON.stringify(c.params['blocks'] ?? '').includes('approval_approve');

/** Sends the command and waits until its card shows the plan and the buttons. */
async function requestApproval(user: string, text: string): Promise<{ ts: string; id: string; card: RecordedCall }> {
  const since = emu.calls.length;
  const ack = await slack.slashCommand('/k8s', text, { user, channel: 'C0OPS' });
  expect(ack.ack).toBeUndefined();
  const posted = await emu.waitFor((c) => c.method === 'chat.postMessage' && callText(c).includes('approval request'), {
    since,
  });
  const ts = String(posted.result['ts']);
  const card = await emu.waitFor((c) => c.method === 'chat.update' && c.params['ts'] === ts && hasButtons(c), {
    since,
  });
  const id = /approval request ([a-z2-9]{6})/.exec(callText(posted))?.[1] ?? '';
  return { ts, id, card };
}

async function click(user: string, ts: string, action: 'approval_approve' | 'approval_reject'): Promise<string> {
  const since = emu.calls.length;
  const result = await slack.clickButton({ channel: 'C0OPS', ts, actionId: action, user });
  expect(result.status).toBe(200);
  await emu.waitFor((c) => c.method === 'response_url', { since });
  return JSON.stringify(emu.ephemerals(user).at(-1));
}

const cardText = (ts: string): string => JSON.stringify(emu.messages('C0OPS').find((m) => m.ts === ts)?.blocks ?? []);

describe('a deploy to a protected namespace', () => {
  it('posts a card with the plan; the requester and a viewer cannot approve; an approver can, and the job runs in the thread', async () => {
    const { ts, id, card } = await requestApproval('U0ALICE', `deploy web ghcr.io/acme/web:2.0 -n ${prod.name}`);
    expect(JSON.stringify(card.params['blocks'])).toContain('web: ghcr.io/acme/web:1.0 → ghcr.io/acme/web:2.0');
    expect(id).toMatch(/^[a-z2-9]{6}$/);

    expect(await click('U0ALICE', ts, 'approval_approve')).toContain('not one of this request');
    expect(await click('U0DAVE', ts, 'approval_approve')).toContain('not one of this request');
    expect(
      (await prod.apps.readNamespacedDeployment({ name: 'web', namespace: prod.name })).spec?.template.spec
        ?.containers[0]?.image,
    ).toBe('ghcr.io/acme/web:1.0');

    expect(await click('U0BOB', ts, 'approval_approve')).toContain('Approved');
    const done = await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] !== ts && /^✅ .*deploy web/u.test(callText(c)),
      { timeoutMs: 45_000 },
    );
    expect(emu.thread('C0OPS', ts).map((m) => m.ts)).toContain(String(done.params['ts']));
    expect(cardText(ts)).toContain('Approved by <@U0BOB>');
    expect(cardText(ts)).not.toContain('approval_approve');
    const d = await prod.apps.readNamespacedDeployment({ name: 'web', namespace: prod.name });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/acme/web:2.0');
    await expect(
      slack.clickButton({ channel: 'C0OPS', ts, actionId: 'approval_approve', user: 'U0CAROL' }),
    ).rejects.toThrow();
  });

  it('ends at the first rejection, typed with a reason, and nothing is deployed', async () => {
    const { ts, id } = await requestApproval('U0ALICE', `deploy web ghcr.io/acme/web:3.0 -n ${prod.name}`);
    const answer = await slack.slashCommand('/k8s', `reject ${id} "not during the freeze"`, {
      user: 'U0CAROL',
      channel: 'C0OPS',
    });
    expect(answer.ack?.text ?? JSON.stringify(answer.ack?.blocks)).toMatch(/Rejected/u);
    await emu.waitFor((c) => c.method === 'chat.update' && c.params['ts'] === ts && callText(c).includes('(rejected)'));
    expect(cardText(ts)).toContain('Rejected by <@U0CAROL>: not during the freeze');
    const late = await slack.slashCommand('/k8s', `approve ${id}`, { user: 'U0BOB', channel: 'C0OPS' });
    expect(JSON.stringify(late.ack)).toContain('already rejected');
    expect(
      (await prod.apps.readNamespacedDeployment({ name: 'web', namespace: prod.name })).spec?.template.spec
        ?.containers[0]?.image,
    ).toBe('ghcr.io/acme/web:2.0');
  });

  it('stops the approved job when the deployment changed after the request', async () => {
    const { ts } = await requestApproval('U0ALICE', `scale web 3 -n ${prod.name}`);
    await prod.apps.patchNamespacedDeployment({
      name: 'web',
      namespace: prod.name,
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'ghcr.io/acme/web:2.1-hotfix' }],
    });
    await waitForObject<k8s.V1Deployment>(
      prod.admin,
      `/apis/apps/v1/namespaces/${prod.name}/deployments`,
      (d) =>
        d.metadata?.name === 'web' &&
        d.metadata.generation !== undefined &&
        (d.status?.observedGeneration ?? 0) >= d.metadata.generation,
      { what: 'the hotfix to be observed' },
    );
    await click('U0BOB', ts, 'approval_approve');
    const failed = await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] !== ts && /^❌ .*scale web/u.test(callText(c)),
      { timeoutMs: 45_000 },
    );
    expect(callText(failed)).toContain('changed since the request was approved');
    expect((await prod.apps.readNamespacedDeployment({ name: 'web', namespace: prod.name })).spec?.replicas).toBe(2);
  });
});

describe('a request that needs two approvals', () => {
  it('counts a double click once, shows who approved so far, and runs only at the second distinct approver', async () => {
    const { ts } = await requestApproval('U0ALICE', `scale api 3 -n ${pair.name}`);
    expect(cardText(ts)).toContain('Needs 2 approval(s)');
    expect(await click('U0BOB', ts, 'approval_approve')).toContain('1 of 2');
    expect(await click('U0BOB', ts, 'approval_approve')).toContain('each approver counts once');
    await emu.waitFor(
      (c) =>
        c.method === 'chat.update' &&
        c.params['ts'] === ts &&
        JSON.stringify(c.params['blocks']).includes('approved so far by <@U0BOB>'),
    );
    expect((await pair.apps.readNamespacedDeployment({ name: 'api', namespace: pair.name })).spec?.replicas).toBe(1);
    expect(await click('U0CAROL', ts, 'approval_approve')).toContain('Approved');
    const done = await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] !== ts && /^[✅❌] .*scale api/u.test(callText(c)),
      { timeoutMs: 45_000 },
    );
    expect(callText(done)).toMatch(/^✅/u);
    expect(cardText(ts)).toContain('Approved by <@U0BOB>, <@U0CAROL>');
    expect((await pair.apps.readNamespacedDeployment({ name: 'api', namespace: pair.name })).spec?.replicas).toBe(3);
  });
});

describe('a request whose target cannot be read', () => {
  it('ends at once: the card says why, with no buttons, and approving it changes nothing', async () => {
    const since = emu.calls.length;
    const ack = await slack.slashCommand('/k8s', `deploy nosuch ghcr.io/acme/web:9.9 -n ${prod.name}`, {
      user: 'U0ALICE',
      channel: 'C0OPS',
    });
    expect(ack.ack).toBeUndefined();
    const posted = await emu.waitFor(
      (c) => c.method === 'chat.postMessage' && callText(c).includes('approval request'),
      { since },
    );
    const ts = String(posted.result['ts']);
    const id = /approval request ([a-z2-9]{6})/.exec(callText(posted))?.[1] ?? '';
    await emu.waitFor((c) => c.method === 'chat.update' && c.params['ts'] === ts && callText(c).includes('(failed)'), {
      since,
    });
    expect(cardText(ts)).toContain(
      `Could not read the target to show a plan: deployment \\"nosuch\\" in namespace \\"${prod.name}\\" was not found`,
    );
    expect(cardText(ts)).not.toContain('approval_approve');
    const late = await slack.slashCommand('/k8s', `approve ${id}`, { user: 'U0BOB', channel: 'C0OPS' });
    expect(JSON.stringify(late.ack)).toContain('already failed');
  });
});

describe('a restart between request and approval', () => {
  it('keeps the request: the restarted bot takes the click and runs the job', async () => {
    const { ts } = await requestApproval('U0ALICE', `deploy web ghcr.io/acme/web:4.0 -n ${prod.name}`);
    const name = bot.cluster;
    await bot.stop();
    bot = await startTestBot({ emu, cluster: prod.cluster, policyFile, clusterName: name });
    slack = emu.driver(bot.eventsUrl);
    expect(await click('U0BOB', ts, 'approval_approve')).toContain('Approved');
    const done = await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] !== ts && /^[✅❌] .*web:4\.0/u.test(callText(c)),
      { timeoutMs: 45_000 },
    );
    expect(callText(done)).toMatch(/^✅/u);
    expect(
      (await prod.apps.readNamespacedDeployment({ name: 'web', namespace: prod.name })).spec?.template.spec
        ?.containers[0]?.image,
    ).toBe('ghcr.io/acme/web:4.0');
  });
});

describe('expiry', () => {
  it('turns the card to expired without buttons, and later clicks change nothing', async () => {
    const { ts, id } = await requestApproval('U0ALICE', `scale api 2 -n ${short.name}`);
    await emu.waitFor((c) => c.method === 'chat.update' && c.params['ts'] === ts && callText(c).includes('(expired)'), {
      timeoutMs: 15_000,
    });
    expect(cardText(ts)).toContain('Expired at');
    expect(cardText(ts)).not.toContain('approval_approve');
    const late = await slack.slashCommand('/k8s', `approve ${id}`, { user: 'U0BOB', channel: 'C0OPS' });
    expect(JSON.stringify(late.ack)).toContain('already expired');
    expect((await short.apps.readNamespacedDeployment({ name: 'api', namespace: short.name })).spec?.replicas).toBe(1);
  });
});
