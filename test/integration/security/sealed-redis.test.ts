// Redis carries the work but is not the authority: whoever can write to it but
// does not hold the bot's seal key cannot queue a job as anyone, nor add a vote
// to an approval request or mark one approved. Each forgery changes nothing in
// the cluster or in Slack and is recorded.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { AuditRecord } from '../../../src/audit/audit-record.ts';
import type { JobPayload } from '../../../src/queue/job-payload.ts';
import { createJobQueue, keyPrefix, queueName, queuePrefix } from '../../../src/queue/job-queue.ts';
import { createSealer } from '../../../src/seal/sealer.ts';
import { startGuardedBot, type GuardedBot } from '../../support/guarded-bot.ts';
import { waitUntil } from '../../support/cluster/processes.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import { callText } from '../../support/slack-flow.ts';

const ns = useTestNamespace('sealed');
jest.setTimeout(60_000);
let g: GuardedBot;
let redis: Redis;

beforeAll(async () => {
  g = await startGuardedBot({
    ns,
    policy: `
roles:
  ops: [{ verbs: [get, deploy, scale, approve] }]
bindings:
  - { role: ops, users: ["*"] }
approvals:
  - { namespaces: [${ns.name}], verbs: [scale], approvers: { users: [U0BOB, U0CAROL] }, required: 2 }
`,
  });
  redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: makeDeployment('web', 'ghcr.io/acme/web:1.0') });
});
afterAll(async () => {
  await g?.stop();
  redis?.disconnect();
});

const forged = (): JobPayload => ({
  v: 1,
  command: 'deploy',
  input: { deployment: 'web', image: 'attacker/web:evil', namespace: ns.name },
  actor: { userId: 'U0ALICE', userName: 'alice', teamId: 'T0001', channelId: 'C0OPS' },
  root: { channel: 'C0OPS', ts: '1700000000.000100' },
  description: 'deploy web',
  cluster: g.bot.cluster,
  requestedAt: new Date().toISOString(),
});
const imageOfWeb = async (): Promise<string | undefined> =>
  (await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name })).spec?.template.spec?.containers[0]
    ?.image;

async function refusalOf(jobId: string): Promise<AuditRecord> {
  const find = async (): Promise<AuditRecord | undefined> =>
    (await g.audit()).find((r) => r.jobId === jobId && r.kind === 'job.refused');
  await waitUntil(async () => (await find()) !== undefined, {
    what: `the worker to refuse ${jobId}`,
    timeoutMs: 20_000,
  });
  return (await find()) as AuditRecord;
}

describe('jobs the bot did not seal', () => {
  it.each([
    [
      'a job with no seal',
      async (jobId: string): Promise<void> => {
        const queue = new Queue(queueName(g.bot.cluster), { connection: redis, prefix: queuePrefix });
        await queue.add('deploy', forged(), { jobId });
        await queue.close();
      },
      'it carries no seal',
    ],
    [
      'a job sealed with another key',
      async (jobId: string): Promise<void> => {
        const queue = createJobQueue(
          g.bot.cluster,
          redis,
          createSealer({ key: 'not-the-bots-key-but-32-characters-long' }),
        );
        await queue.enqueue(jobId, forged());
        await queue.close();
      },
      'its seal does not match',
    ],
  ])('refuses %s: nothing changes, nothing is said in Slack, the refusal is recorded', async (_what, forge, reason) => {
    const since = g.emu.calls.length;
    const jobId = `forged-${randomBytes(4).toString('hex')}`;
    await forge(jobId);
    expect(await refusalOf(jobId)).toMatchObject({
      decision: 'refused',
      reason: expect.stringContaining(reason),
      detail: { claimedUser: 'U0ALICE', claimedCommand: 'deploy' },
    });
    expect(await imageOfWeb()).toBe('ghcr.io/acme/web:1.0');
    expect(g.emu.calls.slice(since).filter((c) => c.method.startsWith('chat.'))).toEqual([]);
  });
});

describe('approval requests changed in Redis', () => {
  it('refuses a vote on a request whose votes were added outside the bot, and queues nothing', async () => {
    const since = g.emu.calls.length;
    expect(await g.say('U0ALICE', `scale web 3 -n ${ns.name}`)).toBe('');
    const posted = await g.emu.waitFor(
      (c) => c.method === 'chat.postMessage' && callText(c).includes('approval request'),
      { since },
    );
    const id = /approval request ([a-z2-9]{6})/u.exec(callText(posted))?.[1] ?? '';
    const ts = String(posted.result['ts']);
    await g.emu.waitFor(
      (c) =>
        c.method === 'chat.update' &&
        c.params['ts'] === ts &&
        JSON.stringify(c.params['blocks'] ?? '').includes('approval_approve'),
      { since },
    );
    // Someone with Redis access adds Carol's vote, so that Bob's click would be the second and last.
    const key = `${keyPrefix(g.bot.cluster)}:approval:${id}`;
    const stored = JSON.parse((await redis.get(key)) ?? '{}') as { votes: unknown[] };
    await redis.set(key, JSON.stringify({ ...stored, votes: [{ userId: 'U0CAROL', at: Date.now() }] }), 'KEEPTTL');
    const clicked = g.emu.calls.length;
    await g.slack.clickButton({ channel: 'C0OPS', ts, actionId: 'approval_approve', user: 'U0BOB' });
    await g.emu.waitFor((c) => c.method === 'response_url', { since: clicked });
    expect(JSON.stringify(g.emu.ephemerals('U0BOB').at(-1))).toContain(`Approval request \`${id}\` is not acted on`);
    // Nothing was queued: the card was not redrawn as approved, and web keeps its one replica.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(g.emu.calls.slice(clicked).filter((c) => c.method === 'chat.postMessage')).toEqual([]);
    expect((await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name })).spec?.replicas).toBe(1);
  });
});
