// The bot protects itself and the system namespaces: a deployer whose rule says
// namespaces ["*"] cannot give the bot's own Deployment a new image (and with it
// the bot's ServiceAccount and secrets), nor touch kube-system — refused at the
// gateway, and again by the worker for a job that got past it; check-policy
// warns of the rule.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { AuditRecord } from '../../../src/audit/audit-record.ts';
import { createJobQueue } from '../../../src/queue/job-queue.ts';
import { waitUntil } from '../../support/cluster/processes.ts';
import { testSealer } from '../../support/bot.ts';
import { startGuardedBot, type GuardedBot } from '../../support/guarded-bot.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';

const ns = useTestNamespace('protected');
jest.setTimeout(60_000);
let g: GuardedBot;
/** A Deployment in the bot's own namespace (`coxswain` in the test cluster, as deploy/ installs it). */
const own = `coxswain-bot-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  g = await startGuardedBot({
    ns,
    policy: `
roles:
  deployer: [{ verbs: [deploy, scale, restart, undo, get], namespaces: ["*"] }]
bindings:
  - { role: deployer, users: [U0ALICE] }
`,
  });
  await ns.apps.createNamespacedDeployment({
    namespace: 'coxswain',
    body: makeDeployment(own, 'ghcr.io/coxswain/coxswain:0.1.0'),
  });
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: makeDeployment('web', 'ghcr.io/acme/web:1.0') });
});
afterAll(async () => {
  await ns.apps.deleteNamespacedDeployment({ name: own, namespace: 'coxswain' }).catch(() => undefined);
  await g?.stop();
});

const imageOf = async (namespace: string, name: string): Promise<string | undefined> =>
  (await ns.apps.readNamespacedDeployment({ name, namespace })).spec?.template.spec?.containers[0]?.image;

describe('protected namespaces', () => {
  it("refuses a change of the bot's own Deployment whatever the rule says, posts nothing, and records the refusal", async () => {
    const since = g.emu.calls.length;
    const answer = await g.say('U0ALICE', `deploy ${own} attacker/image:1 -n coxswain`);
    expect(answer).toContain('coxswain is protected');
    expect(answer).toContain('whatever the policy says');
    expect(g.emu.calls.slice(since).filter((c) => c.method === 'chat.postMessage')).toEqual([]);
    expect(await imageOf('coxswain', own)).toBe('ghcr.io/coxswain/coxswain:0.1.0');
    expect(await g.audit()).toContainEqual(
      expect.objectContaining({
        kind: 'request.denied',
        user: 'U0ALICE',
        namespace: 'coxswain',
        deployment: own,
        reason: expect.stringContaining('protected'),
      }),
    );
  });

  it.each([
    ['scale coredns 0 -n kube-system --yes'],
    ['rollout restart coredns -n kube-public'],
    ['rollout undo x -n kube-node-lease'],
  ])('refuses %s', async (text) => {
    expect(await g.say('U0ALICE', text)).toContain('is protected');
  });

  it('still lets the same rule change other namespaces and read the protected ones', async () => {
    expect(await g.say('U0ALICE', `scale web 2 -n ${ns.name}`)).toBe('');
    expect(await g.say('U0ALICE', 'get pods -n kube-system')).toBe('');
  });

  it("refuses in the worker too: a sealed job for the bot's namespace that got past the gateway changes nothing", async () => {
    const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
    const queue = createJobQueue(g.bot.cluster, redis, testSealer());
    try {
      const jobId = `forged-${randomBytes(4).toString('hex')}`;
      await queue.enqueue(jobId, {
        v: 1,
        command: 'scale',
        input: { deployment: own, replicas: '0', namespace: 'coxswain', yes: true },
        actor: { userId: 'U0ALICE', userName: 'alice', teamId: 'T0001', channelId: 'C0OPS' },
        root: { channel: 'C0OPS', ts: '1700000000.000100' },
        description: `scale ${own} to 0 in coxswain`,
        cluster: g.bot.cluster,
        requestedAt: new Date().toISOString(),
      });
      const refused = async (): Promise<AuditRecord | undefined> =>
        (await g.audit()).find((r) => r.jobId === jobId && r.kind === 'job.refused');
      await waitUntil(async () => (await refused()) !== undefined, {
        what: 'the worker to refuse the job',
        timeoutMs: 20_000,
      });
      expect(await refused()).toMatchObject({
        decision: 'denied',
        reason: expect.stringContaining('coxswain is protected'),
      });
      expect((await ns.apps.readNamespacedDeployment({ name: own, namespace: 'coxswain' })).spec?.replicas).toBe(1);
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });
});
