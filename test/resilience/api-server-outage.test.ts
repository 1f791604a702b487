// The API server of a private cluster stopped for 10 s while the bot follows a
// rollout (a deploy, and a rollout status someone asked for): the watch resumes,
// the result is the rollout's real outcome, and the thread shows it once.
// (The alert watcher across the same outage: test/integration/watch/alerts-outage.test.ts.)
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { startTestBot, type TestBot } from '../support/bot.ts';
import { grantBotWrites, makeDeployment } from '../support/kube.ts';
import { usePrivateCluster } from '../support/private-cluster.ts';
import { SlackEmulator } from '../support/slack-emulator/index.ts';
import { callText, waitForJob } from '../support/slack-flow.ts';

const cluster = usePrivateCluster('outage-rollout');
jest.setTimeout(240_000);

const namespace = 'rollout';
let emu: SlackEmulator;
let bot: TestBot;
let apps: k8s.AppsV1Api;

beforeAll(async () => {
  await cluster.core.createNamespace({ body: { metadata: { name: namespace } } });
  await grantBotWrites(cluster.admin, namespace);
  apps = cluster.admin.makeApiClient(k8s.AppsV1Api);
  emu = await SlackEmulator.start();
  // A rollout outlives the outage: each new pod counts as available only 12 s after it is ready.
  bot = await startTestBot({ emu, cluster: cluster.state, env: { COXSWAIN_ROLLOUT_TIMEOUT: '3m' } });
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

async function slowDeployment(name: string): Promise<void> {
  const body = makeDeployment(name, `ghcr.io/acme/${name}:1.0`, { replicas: 2 });
  await apps.createNamespacedDeployment({ namespace, body: { ...body, spec: { ...body.spec!, minReadySeconds: 12 } } });
  await until(
    async () => (await apps.readNamespacedDeployment({ name, namespace })).status?.availableReplicas === 2,
    `${name} available`,
  );
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every ✅/❌ edit of the job's thread root: a job reports its result once. */
const results = (ts: string): string[] =>
  emu
    .callsTo('chat.update')
    .filter((c) => c.params['ts'] === ts && /^[✅❌]/u.test(callText(c)))
    .map(callText);

async function followedAcrossOutage(command: string, marker: string): Promise<{ finalText: string; ts: string }> {
  const since = emu.calls.length;
  await emu.driver(bot.eventsUrl).slashCommand('/k8s', command, { user: 'U0ALICE', channel: 'C0OPS' });
  const root = await emu.waitFor(
    (c) => c.method === 'chat.postMessage' && c.params['thread_ts'] === undefined && callText(c).includes(marker),
    { since },
  );
  const ts = String(root.result['ts']);
  // The job is following: its root shows progress (the first of the new pods is up but not yet available).
  await emu.waitFor((c) => c.method === 'chat.update' && c.params['ts'] === ts && /updated/u.test(callText(c)), {
    since,
    timeoutMs: 30_000,
  });
  await cluster.restartApiServer({ downMs: 10_000 });
  const { finalText } = await waitForJob(emu, marker, { since, timeoutMs: 150_000 });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  return { finalText, ts };
}

describe('a rollout followed across a 10 s API server outage', () => {
  it('deploy: ends ✅ once the rollout really completes, and says so once', async () => {
    await slowDeployment('web');
    const { finalText, ts } = await followedAcrossOutage(
      `deploy web ghcr.io/acme/web:2.0 -n ${namespace}`,
      'deploy web',
    );
    expect(finalText).toMatch(/^✅/u);
    const web = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(web.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/acme/web:2.0');
    expect(web.status).toMatchObject({ updatedReplicas: 2, availableReplicas: 2 });
    expect(web.status?.observedGeneration ?? 0).toBeGreaterThanOrEqual(web.metadata?.generation ?? 1);
    expect(results(ts)).toHaveLength(1);
  });

  it('rollout status: follows a rollout someone else started, to its real end', async () => {
    await slowDeployment('api');
    await apps.patchNamespacedDeployment(
      {
        name: 'api',
        namespace,
        body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'ghcr.io/acme/api:2.0' }],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    const { finalText, ts } = await followedAcrossOutage(`rollout status api -n ${namespace}`, 'rollout status of api');
    expect(finalText).toMatch(/^✅/u);
    const api = await apps.readNamespacedDeployment({ name: 'api', namespace });
    expect(api.status).toMatchObject({ updatedReplicas: 2, availableReplicas: 2 });
    expect(results(ts)).toHaveLength(1);
  });
});
