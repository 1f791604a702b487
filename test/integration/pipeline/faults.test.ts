// The pipeline when its parts fail: Redis goes away and comes back, the
// Kubernetes API server cannot be reached.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { freePort, waitUntil } from '../../support/cluster/processes.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import { startPrivateRedis, type PrivateRedis } from '../../support/redis-server.ts';
import { SlackEmulator } from '../../support/slack-emulator/index.ts';
import { callText as text, waitForJob } from '../../support/slack-flow.ts';

const ns = useTestNamespace('faults');
jest.setTimeout(60_000);

const finalOf = async (emu: SlackEmulator, marker: string, since: number): Promise<string> =>
  (await waitForJob(emu, marker, { since })).finalText;

describe('when Redis stops and comes back', () => {
  let redis: PrivateRedis;
  let emu: SlackEmulator;
  let bot: TestBot;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
    bot = await startTestBot({ emu, cluster: ns.cluster, env: { REDIS_URL: redis.url } });
    await ns.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: makeDeployment('web', 'ghcr.io/acme/web:1.0'),
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await emu?.stop();
    await redis?.destroy();
  });

  it('refuses at once, says why, posts nothing; then works again once Redis is back', async () => {
    await redis.stop();
    const readyz = (): Promise<number> =>
      fetch(`http://127.0.0.1:${bot.port}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
    expect(await readyz()).toBe(503);
    const before = emu.callsTo('chat.postMessage').length;
    const refused = await emu
      .driver(bot.eventsUrl)
      .slashCommand('/k8s', `get pods -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0OPS' });
    expect(refused.ms).toBeLessThan(3000);
    expect(refused.ack?.visibility).toBe('ephemeral');
    expect(refused.ack?.text).toContain('Redis');
    expect(emu.callsTo('chat.postMessage').length).toBe(before);

    await redis.start();
    // ioredis reconnects with its own backoff; /readyz turns 200 when it has.
    await waitUntil(async () => (await readyz()) === 200, { what: '/readyz to report Redis back', timeoutMs: 20_000 });
    const since = emu.calls.length;
    await emu
      .driver(bot.eventsUrl)
      .slashCommand('/k8s', `get pods -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0OPS' });
    expect(await finalOf(emu, 'get pods', since)).toMatch(/^✅/u);
  });
});

describe('when the Kubernetes API server cannot be reached', () => {
  let emu: SlackEmulator;
  let bot: TestBot;

  beforeAll(async () => {
    const port = await freePort();
    const kubeconfig = join(ns.cluster.dir, `unreachable-${port}.kubeconfig`);
    await writeFile(
      kubeconfig,
      (await readFile(ns.cluster.botKubeconfig, 'utf8')).replace(
        /server: https:\/\/127\.0\.0\.1:\d+/,
        `server: https://127.0.0.1:${port}`,
      ),
    );
    emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
    bot = await startTestBot({ emu, cluster: ns.cluster, env: { KUBECONFIG: kubeconfig } });
  });
  afterAll(async () => {
    await bot?.stop();
    await emu?.stop();
  });

  it('retries, says so in the thread root, then fails plainly without leaking the token', async () => {
    const since = emu.calls.length;
    await emu
      .driver(bot.eventsUrl)
      .slashCommand('/k8s', `rollout status web -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0OPS' });
    const final = await finalOf(emu, 'rollout status of web', since);
    expect(final).toMatch(/^❌ .*unreachable/su);
    expect(emu.calls.slice(since).some((c) => text(c).includes('retrying (attempt 2 of 3)'))).toBe(true);
    const token = /token: (\S+)/.exec(await readFile(ns.cluster.botKubeconfig, 'utf8'))?.[1] ?? 'no-token';
    expect(JSON.stringify(emu.calls)).not.toContain(token);
    expect(bot.logs.join('\n')).not.toContain(token);
  });
});
