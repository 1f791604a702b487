// How much one person and one channel may ask: token buckets in Redis, refusals
// that say when to try again and are recorded (once a minute per person, the
// rest counted), and a bound on one person's jobs queued or running at once.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { keyPrefix } from '../../../src/queue/job-queue.ts';
import { startGuardedBot, type GuardedBot } from '../../support/guarded-bot.ts';
import { waitUntil } from '../../support/cluster/processes.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import { callText, waitForJob } from '../../support/slack-flow.ts';

const ns = useTestNamespace('limits');
jest.setTimeout(60_000);
let g: GuardedBot;
let redis: Redis;

beforeAll(async () => {
  g = await startGuardedBot({
    ns,
    env: { COXSWAIN_RATE_USER: '3/1m', COXSWAIN_RATE_CHANNEL: '6/1m', COXSWAIN_MAX_QUEUED_PER_USER: '1' },
    policy: 'roles: { ops: [{ verbs: [get, deploy, scale, audit] }] }\nbindings: [{ role: ops, users: ["*"] }]\n',
  });
  redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: makeDeployment('web', 'ghcr.io/acme/web:1.0') });
});
afterAll(async () => {
  await g?.stop();
  redis?.disconnect();
});

describe('rates', () => {
  it('refuses a person past their bucket, saying when to try again, and records the first refusal only', async () => {
    for (let i = 0; i < 3; i++) expect(await g.say('U0ALICE', 'whoami')).toContain('whoami');
    const refused = await g.say('U0ALICE', 'whoami');
    expect(refused).toMatch(
      /Too many requests: you are asking faster than Coxswain allows\. Try again in \d+ s; nothing was done\./u,
    );
    expect(await g.say('U0ALICE', 'whoami')).toContain('Too many requests');
    const limited = (await g.audit()).filter((r) => r.kind === 'request.limited' && r.user === 'U0ALICE');
    expect(limited).toEqual([
      expect.objectContaining({ decision: 'refused', detail: expect.objectContaining({ limitedBy: 'user' }) }),
    ]);
  });

  it("refuses anyone in a channel past the channel's bucket", async () => {
    // Alice took 3 of the channel's 6; Bob takes 3 more.
    for (let i = 0; i < 3; i++) expect(await g.say('U0BOB', 'whoami')).toContain('whoami');
    expect(await g.say('U0CAROL', 'whoami')).toContain('this channel is asking faster than Coxswain allows');
  });
});

describe('queued jobs', () => {
  it('takes no more jobs from a person than COXSWAIN_MAX_QUEUED_PER_USER until one ends', async () => {
    const g2 = await startGuardedBot({
      ns,
      env: { COXSWAIN_MAX_QUEUED_PER_USER: '1' },
      policy: 'roles: { ops: [{ verbs: [get, scale] }] }\nbindings: [{ role: ops, users: ["*"] }]\n',
    });
    const held = `${keyPrefix(g2.bot.cluster)}:lock:${ns.name}/web`;
    try {
      // Someone else's job holds web, so Dave's scale waits in line (running, not done).
      await redis.set(
        held,
        JSON.stringify({
          jobId: 'other',
          userId: 'U0BOB',
          description: 'a long rollout',
          since: new Date().toISOString(),
        }),
        'PX',
        60_000,
      );
      const since = g2.emu.calls.length;
      expect(await g2.say('U0DAVE', `scale web 2 -n ${ns.name}`)).toBe('');
      await waitUntil(async () => g2.emu.calls.slice(since).some((c) => callText(c).includes('waiting for')), {
        what: 'the job to wait for the lock',
        timeoutMs: 15_000,
      });
      expect(await g2.say('U0DAVE', `get pods -n ${ns.name}`)).toContain('You have 1 jobs queued or running');
      expect(await g2.say('U0EVE', `get pods -n ${ns.name}`)).toBe('');
      await redis.del(held);
      expect(callText((await waitForJob(g2.emu, 'scale web', { since })).final)).toMatch(/^✅/u);
      await waitUntil(async () => (await g2.say('U0DAVE', `get pods -n ${ns.name} -l again=1`)) === '', {
        what: 'Dave to be let in again',
        timeoutMs: 10_000,
      });
    } finally {
      await redis.del(held);
      await g2.stop();
    }
  });
});
