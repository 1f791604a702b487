// /k8s deploy end to end: the Slack emulator signs and posts the command to the
// real gateway, the job goes through Redis to the real worker, which acts on the
// test cluster as the bot's ServiceAccount and reports in the thread.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { makeDeployment, useTestNamespace, waitForObject } from '../../support/kube.ts';
import { SlackEmulator, type SlackDriver } from '../../support/slack-emulator/index.ts';
import { callText as text, waitForJob, type FinishedJob } from '../../support/slack-flow.ts';

const ns = useTestNamespace('deploy');
let emu: SlackEmulator;
let bot: TestBot;
let slack: SlackDriver;

beforeAll(async () => {
  // Root post and result reply land within a second of each other; Slack allows such bursts.
  emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
  bot = await startTestBot({ emu, cluster: ns.cluster });
  slack = emu.driver(bot.eventsUrl);
  await ns.apps.createNamespacedDeployment({
    namespace: ns.name,
    body: makeDeployment('web', 'ghcr.io/acme/web:1.0', { replicas: 2 }),
  });
  await ns.apps.createNamespacedDeployment({
    namespace: ns.name,
    body: {
      ...makeDeployment('duo', 'ghcr.io/acme/duo:1.0'),
      spec: {
        ...makeDeployment('duo', 'x').spec!,
        template: {
          metadata: { labels: { app: 'duo' } },
          spec: {
            containers: [
              { name: 'server', image: 'ghcr.io/acme/duo:1.0' },
              { name: 'sidecar', image: 'ghcr.io/acme/proxy:1.0' },
            ],
          },
        },
      },
    },
  });
});

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

const finished = (marker: string): Promise<FinishedJob> => waitForJob(emu, marker, { timeoutMs: 60_000 });

jest.setTimeout(90_000);

describe('/k8s deploy', () => {
  it('acks at once, posts the queued root, rolls the image out and ends ✅ with the change cause recorded', async () => {
    const ack = await slack.slashCommand('/k8s', `deploy web ghcr.io/acme/web:1.1 -n ${ns.name}`, {
      user: 'U0ALICE',
      channel: 'C0OPS',
    });
    expect(ack.status).toBe(200);
    expect(ack.ms).toBeLessThan(3000);
    expect(ack.ack).toBeUndefined();
    const job = await finished(`deploy web to ghcr.io/acme/web:1.1 in ${ns.name}`);
    const { root, final } = job;
    expect(text(root)).toBe(`<@U0ALICE> → deploy web to ghcr.io/acme/web:1.1 in ${ns.name} · queued`);
    expect(text(final)).toMatch(/^✅ <@U0ALICE> → deploy web to ghcr\.io\/acme\/web:1\.1 in .* · done in /u);
    expect(job.threadText).toContain('ghcr.io/acme/web:1.0 → ghcr.io/acme/web:1.1');

    const d = await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/acme/web:1.1');
    expect(d.metadata?.annotations?.['kubernetes.io/change-cause']).toContain('U0ALICE');
    expect(d.status?.availableReplicas).toBe(2);
  });

  it('ends ❌ naming the crash-looping pods and their events when the new image crashes', async () => {
    await slack.slashCommand('/k8s', `deploy web ghcr.io/acme/web:1.2-crashloop -n ${ns.name}`, {
      user: 'U0ALICE',
      channel: 'C0OPS',
    });
    const { finalText, threadText: details } = await finished('web:1.2-crashloop');
    expect(finalText).toMatch(/^❌ /u);
    expect(details).toContain('CrashLoopBackOff');
    expect(details).toContain('BackOff');
  });

  it('ends ❌ with "did you mean" for a deployment that does not exist', async () => {
    await slack.slashCommand('/k8s', `deploy wbe ghcr.io/acme/web:1.1 -n ${ns.name}`, {
      user: 'U0ALICE',
      channel: 'C0OPS',
    });
    const { finalText, threadText } = await finished('deploy wbe');
    expect(finalText).toMatch(/^❌ .*not found/isu);
    expect(`${finalText}\n${threadText}`).toContain('web');
  });

  it('refuses a multi-container deployment without -c, listing the containers', async () => {
    await slack.slashCommand('/k8s', `deploy duo ghcr.io/acme/duo:1.1 -n ${ns.name}`, {
      user: 'U0ALICE',
      channel: 'C0OPS',
    });
    const { final } = await finished('deploy duo');
    expect(text(final)).toMatch(/^❌ /u);
    expect(text(final)).toMatch(/server.*sidecar|sidecar.*server/su);
    const d = await ns.apps.readNamespacedDeployment({ name: 'duo', namespace: ns.name });
    expect(d.spec?.template.spec?.containers.map((c) => c.image)).toEqual([
      'ghcr.io/acme/duo:1.0',
      'ghcr.io/acme/proxy:1.0',
    ]);
  });

  it('answers an invalid image ephemerally, with the usage line, and queues nothing', async () => {
    const before = emu.callsTo('chat.postMessage').length;
    const ack = await slack.slashCommand('/k8s', `deploy web ghcr.io/Acme/web:1.1 -n ${ns.name}`, {
      user: 'U0ALICE',
      channel: 'C0OPS',
    });
    expect(ack.ack?.visibility).toBe('ephemeral');
    expect(ack.ack?.text).toContain('not an image reference');
    expect(JSON.stringify(ack.ack?.blocks)).toContain('deploy &lt;deployment&gt; &lt;image&gt;');
    expect(ack.ack?.errors).toEqual([]);
    expect(emu.callsTo('chat.postMessage').length).toBe(before);
  });

  it('makes one job of one signed request delivered three times', async () => {
    const form = new URLSearchParams({
      token: 'legacy',
      team_id: 'T0001',
      team_domain: 'acme',
      channel_id: 'C0OPS',
      channel_name: 'ops',
      user_id: 'U0BOB',
      user_name: 'bob',
      command: '/k8s',
      text: `rollout history web -n ${ns.name}`,
      api_app_id: 'A0APP',
      is_enterprise_install: 'false',
      response_url: 'http://127.0.0.1:9/hooks/x',
      trigger_id: `13345224609.${Date.now()}.dup`,
    }).toString();
    const answers = [await slack.post(form), await slack.post(form), await slack.post(form)];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    await finished('rollout history of web');
    const roots = emu.callsTo('chat.postMessage').filter((c) => text(c).includes('rollout history of web'));
    expect(roots).toHaveLength(1);
  });

  it('refuses a forged signature with 401 and queues nothing', async () => {
    const before = emu.calls.length;
    const forged = await slack.slashCommand('/k8s', `deploy web ghcr.io/acme/web:6.6 -n ${ns.name}`, {
      user: 'U0ALICE',
      channel: 'C0OPS',
      signingSecret: 'not-the-secret',
    });
    const stale = await slack.slashCommand('/k8s', `deploy web ghcr.io/acme/web:6.6 -n ${ns.name}`, {
      user: 'U0ALICE',
      channel: 'C0OPS',
      timestampSec: Math.floor(Date.now() / 1000) - 600,
    });
    expect([forged.status, stale.status]).toEqual([401, 401]);
    expect(emu.calls.slice(before).filter((c) => c.method.startsWith('chat.'))).toEqual([]);
  });

  it('serializes two deploys of one deployment: the second waits for the first', async () => {
    await ns.apps.patchNamespacedDeployment({
      name: 'web',
      namespace: ns.name,
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'ghcr.io/acme/web:1.1' }],
    });
    await waitForObject<k8s.V1Deployment>(
      ns.admin,
      `/apis/apps/v1/namespaces/${ns.name}/deployments`,
      (d) =>
        d.metadata?.name === 'web' &&
        d.status?.availableReplicas === 2 &&
        d.status.updatedReplicas === 2 &&
        d.status.replicas === 2,
      { what: 'web back to healthy' },
    );
    await ns.apps.patchNamespacedDeployment({
      name: 'web',
      namespace: ns.name,
      body: [
        {
          op: 'add',
          path: '/spec/template/metadata/annotations',
          value: { 'pod-ready.stage.kwok.x-k8s.io/delay': '700ms' },
        },
      ],
    });
    await Promise.all([
      slack.slashCommand('/k8s', `deploy web ghcr.io/acme/web:3.0 -n ${ns.name}`, {
        user: 'U0ALICE',
        channel: 'C0OPS',
      }),
      slack.slashCommand('/k8s', `deploy web ghcr.io/acme/web:3.1 -n ${ns.name}`, { user: 'U0BOB', channel: 'C0OPS' }),
    ]);
    const [a, b] = await Promise.all([finished('web:3.0'), finished('web:3.1')]);
    expect(text(a.final)).toMatch(/^✅/u);
    expect(text(b.final)).toMatch(/^✅/u);
    const waited = emu.callsTo('chat.update').filter((c) => text(c).includes('locked by'));
    expect(waited.length).toBeGreaterThanOrEqual(1);
    const times = [a.final.time, b.final.time].sort((x, y) => x - y);
    const firstDone = times[0] ?? 0;
    const waiter = waited[0];
    expect(waiter && waiter.time <= firstDone).toBe(true);
  });

  it('still delivers the result when Slack answers 429 to chat.update', async () => {
    emu.faults.next('chat.update', { status: 429, retryAfter: 1 });
    await slack.slashCommand('/k8s', `rollout status web -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0OPS' });
    const { final } = await finished('rollout status of web');
    expect(text(final)).toMatch(/^✅/u);
    expect(emu.callsTo('chat.update').some((c) => c.fault !== undefined)).toBe(true);
  });

  it('writes no secret to its logs and leaves no Block Kit warnings', () => {
    const all = bot.logs.join('\n');
    expect(all).not.toContain(emu.botToken);
    expect(all).not.toContain(emu.signingSecret);
    expect(emu.blockKitWarnings).toEqual([]);
  });
});
