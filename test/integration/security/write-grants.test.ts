// The bot's write rights follow the policy: deploy/base grants reading
// everywhere and changing nowhere; `coxswain rbac` generates a RoleBinding per
// namespace the policy changes (never a protected one). A change where no grant
// is, is refused by the API server itself, and the message says which grant is
// missing and how to make it; applying what `coxswain rbac` printed fixes it.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { startGuardedBot, type GuardedBot } from '../../support/guarded-bot.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import { callText, waitForJob } from '../../support/slack-flow.ts';

const granted = useTestNamespace('grants-yes');
const bare = useTestNamespace('grants-no', { botWrites: false });
jest.setTimeout(60_000);
let g: GuardedBot;
const mainScript = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));

const policy = (): string => `
roles:
  deployer: [{ verbs: [deploy, scale, get], namespaces: [${granted.name}, ${bare.name}] }]
  everywhere: [{ verbs: [restart], namespaces: ["*"] }]
bindings:
  - { role: deployer, users: [U0ALICE] }
  - { role: everywhere, users: [U0BOB], kubernetes: { user: bob@acme.com } }
`;

/** `coxswain rbac` as an admin runs it. */
function rbac(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [mainScript, 'rbac', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '' },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(async () => {
  g = await startGuardedBot({ ns: granted, policy: policy() });
  for (const ns of [granted, bare])
    await ns.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: makeDeployment('web', 'ghcr.io/acme/web:1.0'),
    });
});
afterAll(async () => {
  await g?.stop();
});

const imageIn = async (namespace: string): Promise<string | undefined> =>
  (await granted.apps.readNamespacedDeployment({ name: 'web', namespace })).spec?.template.spec?.containers[0]?.image;

describe('write grants', () => {
  it('lets the bot change a namespace with its grant, and has the API server refuse one without, naming the missing grant', async () => {
    let since = g.emu.calls.length;
    expect(await g.say('U0ALICE', `deploy web ghcr.io/acme/web:2.0 -n ${granted.name}`)).toBe('');
    expect(callText((await waitForJob(g.emu, `in ${granted.name}`, { since })).final)).toMatch(/^✅/u);

    since = g.emu.calls.length;
    expect(await g.say('U0ALICE', `deploy web ghcr.io/acme/web:2.0 -n ${bare.name}`)).toBe('');
    const refused = await waitForJob(g.emu, `in ${bare.name}`, { since });
    expect(refused.finalText).toMatch(/^❌/u);
    expect(refused.finalText).toContain(
      `may not patch deployments.apps in namespace ${bare.name}: no RoleBinding there grants it the ClusterRole coxswain-write`,
    );
    expect(refused.finalText).toContain('coxswain rbac');
    expect(await imageIn(bare.name)).toBe('ghcr.io/acme/web:1.0');
  });

  it('generates exactly the grants the policy needs, and applying them lets the change through', async () => {
    const file = join(granted.cluster.dir, `rbac-${granted.name}.yaml`);
    await writeFile(file, policy());
    const out = rbac(file);
    expect(out.status).toBe(0);
    const docs = parseAllDocuments(out.stdout)
      .map((d) => d.toJS() as k8s.V1RoleBinding)
      .filter((d) => d !== null);
    // bob's rule acts as bob@acme.com: that identity needs its own RBAC, the bot none.
    expect(docs.map((d) => d.metadata?.namespace).sort()).toEqual([granted.name, bare.name].sort());
    expect(
      docs.every(
        (d) =>
          d.roleRef.name === 'coxswain-write' &&
          d.subjects?.[0]?.name === 'coxswain' &&
          d.subjects[0].namespace === 'coxswain',
      ),
    ).toBe(true);
    const rbacApi = granted.admin.makeApiClient(k8s.RbacAuthorizationV1Api);
    const forBare = docs.find((d) => d.metadata?.namespace === bare.name);
    if (!forBare) throw new Error('no grant for the bare namespace');
    await rbacApi.createNamespacedRoleBinding({ namespace: bare.name, body: forBare });
    const since = g.emu.calls.length;
    expect(await g.say('U0ALICE', `scale web 2 -n ${bare.name}`)).toBe('');
    expect(callText((await waitForJob(g.emu, `in ${bare.name}`, { since })).final)).toMatch(/^✅/u);
  });

  it('never grants a protected namespace, and refuses to guess what a glob means', async () => {
    const file = join(granted.cluster.dir, `rbac-star-${granted.name}.yaml`);
    await writeFile(
      file,
      'roles: { ops: [{ verbs: [deploy], namespaces: ["*"] }, { verbs: [scale], namespaces: ["team-*"] }] }\nbindings: [{ role: ops, users: [U0ALICE] }]\n',
    );
    const unresolved = rbac(file);
    expect(unresolved.status).toBe(1);
    expect(unresolved.stdout).toBe('');
    expect(unresolved.stderr).toContain('no namespace given matches "*", "team-*"');
    const out = rbac(file, '--namespaces', 'default,team-a,kube-system,coxswain');
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('Not granted, protected whatever the policy says: coxswain, kube-system');
    const namespaces = parseAllDocuments(out.stdout)
      .map((d) => (d.toJS() as k8s.V1RoleBinding | null)?.metadata?.namespace)
      .filter(Boolean);
    expect(namespaces).toEqual(['default', 'team-a']);
  });
});
