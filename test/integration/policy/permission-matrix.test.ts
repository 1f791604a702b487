// The permission matrix, end to end: each row is a signed /k8s request from a
// given Slack user in a given channel, through the real HTTP endpoint; a refusal
// is an ephemeral answer and nothing is posted or queued, an allowed mutation
// runs in the test cluster.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { waitUntil } from '../../support/cluster/processes.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import { SlackEmulator, type SlackDriver } from '../../support/slack-emulator/index.ts';
import { waitForJob } from '../../support/slack-flow.ts';

const staging = useTestNamespace('pm-staging');
const prod = useTestNamespace('pm-prod');
jest.setTimeout(60_000);

let emu: SlackEmulator;
let bot: TestBot;
let slack: SlackDriver;
let policyFile: string;

const everyone = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE', 'U0BOT'];
const policyText = (): string => `
roles:
  viewer:   [{ verbs: [get, logs, status, history] }]
  deployer: [{ verbs: [deploy, scale, restart, undo], namespaces: [${staging.name}, ${prod.name}] }]
  web-only: [{ verbs: [scale], namespaces: ["pm-staging-*"], deployments: ["web*"] }]
  auditor:  [{ verbs: [audit] }]
bindings:
  - { role: viewer,   users: ["*"], channels: [C0OPS, C0DEPLOYS] }
  - { role: deployer, users: [U0ALICE], channels: [C0DEPLOYS] }
  - { role: deployer, groups: [S0DEVS], channels: [C0DEPLOYS] }
  - { role: web-only, users: [U0DAVE] }
`;

beforeAll(async () => {
  policyFile = join(staging.cluster.dir, `policy-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(policyFile, policyText());
  emu = await SlackEmulator.start({
    allowWarnings: ['channel_rate'],
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0BOB', name: 'bob' },
      { id: 'U0CAROL', name: 'carol' },
      { id: 'U0DAVE', name: 'dave' },
    ],
    channels: [
      { id: 'C0OPS', name: 'ops', members: everyone },
      { id: 'C0DEPLOYS', name: 'deploys', members: everyone },
    ],
    usergroups: [{ id: 'S0DEVS', handle: 'devs', users: ['U0CAROL'] }],
  });
  bot = await startTestBot({ emu, cluster: staging.cluster, policyFile });
  slack = emu.driver(bot.eventsUrl);
  for (const ns of [staging, prod]) {
    await ns.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: makeDeployment('web', 'ghcr.io/acme/web:1.0'),
    });
    await ns.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: makeDeployment('api', 'ghcr.io/acme/api:1.0'),
    });
  }
});

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

type Expect = 'allowed' | 'denied';

async function attempt(user: string, channel: string, command: string): Promise<{ outcome: Expect; answer: string }> {
  const since = emu.calls.length;
  const ack = await slack.slashCommand('/k8s', command, { user, channel });
  expect(ack.status).toBe(200);
  if (ack.ack) {
    expect(emu.calls.slice(since).filter((c) => c.method === 'chat.postMessage')).toEqual([]);
    return { outcome: 'denied', answer: `${ack.ack.text}\n${JSON.stringify(ack.ack.blocks ?? [])}` };
  }
  const job = await waitForJob(emu, '→', { since });
  return { outcome: 'allowed', answer: job.finalText };
}

let probes = 0;
/** A read that is never the same text twice (the same text within 5 s is answered 'already queued'). */
const probe = async (user: string): Promise<Expect> =>
  (await attempt(user, 'C0OPS', `get pods -n ${staging.name} -l probe=p${probes++}`)).outcome;

describe('permission matrix through the HTTP endpoint', () => {
  const ns = (which: 'staging' | 'prod'): string => (which === 'staging' ? staging.name : prod.name);
  it.each([
    // user      channel      command                                             namespace  expected   answer has
    ['U0ALICE', 'C0DEPLOYS', 'scale web 2 -n NS', 'staging', 'allowed', '✅'],
    ['U0ALICE', 'C0OPS', 'scale web 1 -n NS', 'staging', 'denied', 'your roles here (viewer) do not cover it'],
    ['U0ALICE', 'C0DEPLOYS', 'deploy api ghcr.io/acme/api:1.1 -n NS', 'prod', 'allowed', '✅'],
    ['U0BOB', 'C0DEPLOYS', 'deploy api ghcr.io/acme/api:1.2 -n NS', 'prod', 'denied', 'You may not deploy api in'],
    ['U0BOB', 'C0DEPLOYS', 'get pods -n NS', 'prod', 'allowed', '✅'],
    ['U0BOB', 'C0DEPLOYS', 'rollout history api -n NS', 'prod', 'allowed', '✅'],
    ['U0CAROL', 'C0DEPLOYS', 'rollout restart web -n NS', 'staging', 'allowed', '✅'],
    ['U0CAROL', 'C0OPS', 'rollout restart web -n NS', 'staging', 'denied', 'do not cover it'],
    ['U0DAVE', 'C0OPS', 'scale web 3 -n NS', 'staging', 'allowed', '✅'],
    ['U0DAVE', 'C0OPS', 'scale api 3 -n NS', 'staging', 'denied', 'You may not scale api in'],
    ['U0DAVE', 'C0OPS', 'scale web 3 -n NS', 'prod', 'denied', 'You may not scale web in'],
    ['U0DAVE', 'C0OPS', 'deploy web ghcr.io/acme/web:2.0 -n NS', 'staging', 'denied', 'You may not deploy web'],
  ])('%s in %s: %s (%s) → %s', async (user, channel, command, which, expected, words) => {
    const { outcome, answer } = await attempt(user, channel, command.replace('NS', ns(which as 'staging' | 'prod')));
    expect(outcome).toBe(expected);
    expect(answer).toContain(words);
    if (outcome === 'denied') expect(answer).toContain(policyFile);
  });

  it('lets a person bound to nothing run only help, whoami and can-i', async () => {
    await writeFile(
      policyFile,
      policyText().replace(
        'users: ["*"], channels: [C0OPS, C0DEPLOYS]',
        'users: [U0ALICE], channels: [C0OPS, C0DEPLOYS]',
      ),
    );
    await waitUntil(async () => (await probe('U0BOB')) === 'denied', {
      what: 'the policy reload',
      timeoutMs: 15_000,
      intervalMs: 500,
    });
    const help = await slack.slashCommand('/k8s', 'help', { user: 'U0BOB', channel: 'C0OPS' });
    expect(JSON.stringify(help.ack?.blocks)).toContain('whoami');
    expect(JSON.stringify(help.ack?.blocks)).not.toContain('deploy &lt;deployment&gt;');
    expect(JSON.stringify(help.ack?.blocks)).toContain('more need a role you do not have here');
    const who = await slack.slashCommand('/k8s', 'whoami', { user: 'U0BOB', channel: 'C0OPS' });
    expect(JSON.stringify(who.ack?.blocks)).toContain('No role of the policy applies to you here');
    const can = await slack.slashCommand('/k8s', `can-i get -n ${staging.name}`, { user: 'U0BOB', channel: 'C0OPS' });
    expect(JSON.stringify(can.ack?.blocks)).toContain('No. You may not get in');
  });

  it('keeps the last good policy when the file is changed into something invalid', async () => {
    await writeFile(policyFile, policyText());
    await waitUntil(async () => (await probe('U0BOB')) === 'allowed', {
      what: 'the policy reload',
      timeoutMs: 15_000,
      intervalMs: 500,
    });
    await writeFile(policyFile, 'roles: { viewer: [{ verbs: [get, fly] }] }\n');
    await waitUntil(async () => bot.logs.some((l) => l.includes('policy change refused')), {
      what: 'the refusal to be logged',
      timeoutMs: 15_000,
    });
    expect(bot.logs.find((l) => l.includes('policy change refused'))).toContain(':1: roles.viewer[0].verbs[1]');
    expect(await probe('U0BOB')).toBe('allowed');
  });

  it('names the deciding rule when asked', async () => {
    await writeFile(policyFile, policyText());
    await waitUntil(async () => (await probe('U0BOB')) === 'allowed', {
      what: 'the policy reload',
      timeoutMs: 15_000,
      intervalMs: 500,
    });
    const can = await slack.slashCommand('/k8s', `can-i deploy web -n ${prod.name}`, {
      user: 'U0CAROL',
      channel: 'C0DEPLOYS',
    });
    expect(JSON.stringify(can.ack?.blocks)).toContain('Yes, you may deploy web in');
    expect(JSON.stringify(can.ack?.blocks)).toContain('role deployer (bindings[2], rule 1)');
    const who = await slack.slashCommand('/k8s', 'whoami', { user: 'U0CAROL', channel: 'C0DEPLOYS' });
    expect(JSON.stringify(who.ack?.blocks)).toContain('*deployer*: deploy, scale, restart, undo in');
  });
});
