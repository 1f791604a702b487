// Kubernetes RBAC as the second gate: a binding with `kubernetes: { user, groups }`
// has the worker act as that identity, so Kubernetes refuses what the identity may
// not do even where the policy allowed it. The bot's grant to impersonate is
// deploy/overlays/impersonation/impersonate.yaml, applied as it is.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { applyFile } from '../../support/cluster/bootstrap.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import { SlackEmulator, type SlackDriver } from '../../support/slack-emulator/index.ts';
import { waitForJob } from '../../support/slack-flow.ts';

const ns = useTestNamespace('imp');
jest.setTimeout(60_000);

let emu: SlackEmulator;
let bot: TestBot;
let slack: SlackDriver;

const overlay = join(import.meta.dirname, '..', '..', '..', 'deploy', 'overlays', 'impersonation', 'impersonate.yaml');
const reads = {
  apiGroups: ['apps', ''],
  resources: ['deployments', 'replicasets', 'pods', 'events'],
  verbs: ['get', 'list', 'watch'],
};

async function grant(
  rbac: k8s.RbacAuthorizationV1Api,
  role: string,
  rules: k8s.V1PolicyRule[],
  subject: k8s.RbacV1Subject,
): Promise<void> {
  await rbac.createNamespacedRole({ namespace: ns.name, body: { metadata: { name: role }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace: ns.name,
    body: {
      metadata: { name: role },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
      subjects: [subject],
    },
  });
}

beforeAll(async () => {
  await applyFile(ns.admin, overlay);
  const rbac = ns.admin.makeApiClient(k8s.RbacAuthorizationV1Api);
  // alice may only look; the group coxswain:deployers may also change deployments.
  await grant(rbac, 'look', [reads], {
    kind: 'User',
    apiGroup: 'rbac.authorization.k8s.io',
    name: 'alice@example.com',
  });
  await grant(rbac, 'look-viewers', [reads], {
    kind: 'Group',
    apiGroup: 'rbac.authorization.k8s.io',
    name: 'coxswain:viewers',
  });
  await grant(rbac, 'change', [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['patch'] }], {
    kind: 'Group',
    apiGroup: 'rbac.authorization.k8s.io',
    name: 'coxswain:deployers',
  });
  const policyFile = join(ns.cluster.dir, `policy-imp-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(
    policyFile,
    `
roles:
  ops: [{ verbs: ["*"] }]
bindings:
  - { role: ops, users: [U0ALICE], kubernetes: { user: alice@example.com } }
  - { role: ops, users: [U0BOB], kubernetes: { user: bob@example.com, groups: ["coxswain:viewers", "coxswain:deployers"] } }
  - { role: ops, users: [U0CAROL], kubernetes: { user: carol@example.com } }
  - { role: ops, users: [U0DAVE] }
`,
  );
  emu = await SlackEmulator.start({
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0BOB', name: 'bob' },
      { id: 'U0CAROL', name: 'carol' },
      { id: 'U0DAVE', name: 'dave' },
    ],
    channels: [{ id: 'C0OPS', name: 'ops', members: ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE', 'U0BOT'] }],
  });
  bot = await startTestBot({ emu, cluster: ns.cluster, policyFile });
  slack = emu.driver(bot.eventsUrl);
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: makeDeployment('web', 'ghcr.io/acme/web:1.0') });
});

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

async function run(user: string, command: string): Promise<{ finalText: string; threadText: string }> {
  const since = emu.calls.length;
  const ack = await slack.slashCommand('/k8s', command, { user, channel: 'C0OPS' });
  expect(ack.ack).toBeUndefined();
  return waitForJob(emu, '→', { since });
}

const image = async (): Promise<string | undefined> =>
  (await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name })).spec?.template.spec?.containers[0]
    ?.image;

describe('impersonation per policy binding', () => {
  it("shows a Kubernetes refusal as such when the policy allowed what the identity's RBAC does not, and changes nothing", async () => {
    const job = await run('U0ALICE', `deploy web ghcr.io/acme/web:1.1 -n ${ns.name}`);
    expect(job.finalText).toMatch(/^❌/u);
    expect(job.threadText).toContain(
      `Kubernetes refused: Kubernetes user \\"alice@example.com\\" may not patch deployments.apps in namespace ${ns.name}`,
    );
    expect(job.threadText).toContain('The policy allowed it');
    expect(await image()).toBe('ghcr.io/acme/web:1.0');
  });

  it('lets the same identity read what its RBAC allows', async () => {
    const job = await run('U0ALICE', `rollout status web -n ${ns.name}`);
    expect(job.finalText).toMatch(/^✅/u);
  });

  it('sends every group: bob changes the deployment through his second group only, and follows the rollout as himself', async () => {
    const job = await run('U0BOB', `deploy web ghcr.io/acme/web:1.2 -n ${ns.name}`);
    expect(job.finalText).toMatch(/^✅/u);
    expect(await image()).toBe('ghcr.io/acme/web:1.2');
  });

  it('blames the bot, and names the overlay, when it may not impersonate the identity at all', async () => {
    const job = await run('U0CAROL', `scale web 2 -n ${ns.name}`);
    expect(job.finalText).toMatch(/^❌/u);
    expect(job.threadText).toContain("the bot's Kubernetes identity may not impersonate users");
    expect(job.threadText).toContain('deploy/overlays/impersonation');
    expect((await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name })).spec?.replicas).toBe(1);
  });

  it('says in whoami whom each role acts as', async () => {
    const who = await slack.slashCommand('/k8s', 'whoami', { user: 'U0BOB', channel: 'C0OPS' });
    expect(JSON.stringify(who.ack?.blocks)).toContain(
      'acts as Kubernetes user \\"bob@example.com\\" (groups coxswain:viewers, coxswain:deployers)',
    );
  });

  it("acts as the bot's own ServiceAccount for a binding without a Kubernetes identity", async () => {
    const job = await run('U0DAVE', `scale web 2 -n ${ns.name}`);
    expect(job.finalText).toMatch(/^✅/u);
    expect((await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name })).spec?.replicas).toBe(2);
  });
});
