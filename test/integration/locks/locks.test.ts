// /k8s lock and unlock end to end, and holds expiring by themselves in Redis.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createHoldStore } from '../../../src/holds/hold-store.ts';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import { SlackEmulator, type SlackDriver } from '../../support/slack-emulator/index.ts';
import { waitForJob } from '../../support/slack-flow.ts';

const ns = useTestNamespace('locks');
jest.setTimeout(60_000);
let emu: SlackEmulator;
let bot: TestBot;
let slack: SlackDriver;

beforeAll(async () => {
  const policyFile = join(ns.cluster.dir, `locks-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(
    policyFile,
    `
roles:
  deployer: [{ verbs: [deploy, scale, lock, get] }]
  viewer:   [{ verbs: [get] }]
bindings:
  - { role: deployer, users: [U0ALICE, U0BOB] }
  - { role: viewer,   users: [U0CAROL] }
`,
  );
  emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
  bot = await startTestBot({ emu, cluster: ns.cluster, policyFile });
  slack = emu.driver(bot.eventsUrl);
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: makeDeployment('web', 'ghcr.io/acme/web:1.0') });
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: makeDeployment('api', 'ghcr.io/acme/api:1.0') });
});
afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

async function say(user: string, text: string): Promise<string> {
  const ack = await slack.slashCommand('/k8s', text, { user, channel: 'C0OPS' });
  expect(ack.status).toBe(200);
  return `${ack.ack?.text ?? ''} ${JSON.stringify(ack.ack?.blocks ?? [])}`;
}

describe('/k8s lock', () => {
  it("refuses others' changes to a held deployment, naming who and why; the holder still deploys", async () => {
    expect(await say('U0BOB', `lock web -n ${ns.name} --for 2h "release 4.2"`)).toContain('Locked');
    const refused = await say('U0ALICE', `deploy web ghcr.io/acme/web:2.0 -n ${ns.name}`);
    expect(refused).toContain(`${ns.name}/web is locked by <@U0BOB>`);
    expect(refused).toContain('release 4.2');
    const since = emu.calls.length;
    expect(await say('U0BOB', `deploy web ghcr.io/acme/web:2.0 -n ${ns.name}`)).not.toContain('locked');
    expect((await waitForJob(emu, 'deploy web', { since })).finalText).toMatch(/^✅/u);
    expect(await say('U0ALICE', `scale api 2 -n ${ns.name}`)).toBe(' []');
  });

  it('lets only the holder unlock', async () => {
    expect(await say('U0ALICE', `unlock web -n ${ns.name}`)).toContain('Not yours to unlock');
    expect(await say('U0BOB', `unlock web -n ${ns.name}`)).toContain(`Unlocked ${ns.name}/web`);
    const since = emu.calls.length;
    await say('U0ALICE', `deploy web ghcr.io/acme/web:2.1 -n ${ns.name}`);
    expect((await waitForJob(emu, 'web:2.1', { since })).finalText).toMatch(/^✅/u);
  });

  it('holds a whole namespace with ns/<name>', async () => {
    expect(await say('U0BOB', `lock ns/${ns.name} --for 30m incident-1234`)).toContain('Locked');
    expect(await say('U0ALICE', `scale api 3 -n ${ns.name}`)).toContain(`${ns.name} is locked by <@U0BOB>`);
    expect(await say('U0ALICE', `lock api -n ${ns.name}`)).toContain('Locked');
    expect(await say('U0BOB', `unlock ns/${ns.name}`)).toContain('Unlocked');
  });

  it('needs the lock verb', async () => {
    expect(await say('U0CAROL', `lock web -n ${ns.name}`)).toContain('You may not lock');
  });
});

describe('holds in Redis', () => {
  it('expire by themselves', async () => {
    const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
    const store = createHoldStore(redis, `coxswain:test-holds-${randomBytes(3).toString('hex')}`);
    const now = Date.now();
    expect((await store.take({ target: 'prod/web', userId: 'U0BOB', since: now, until: now + 1000 })).kind).toBe(
      'taken',
    );
    expect(await store.blocking('prod', 'web', 'U0ALICE')).toMatchObject({ userId: 'U0BOB' });
    expect(await store.blocking('prod', 'web', 'U0BOB')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1200));
    expect(await store.blocking('prod', 'web', 'U0ALICE')).toBeUndefined();
    await redis.quit();
  });
});
