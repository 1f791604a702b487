// Failed-pod alerts end to end: kwok's failure stages make real failing pods in
// the test cluster, the bot (gateway + worker + watcher) raises alerts in the
// emulator's channel, edits them as failures go on, says recovery in the
// thread, and runs the alert's buttons for whoever may.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitForAlertMessage } from '../../support/alert-records.ts';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { makeDeployment, servePodLogs, useTestNamespace } from '../../support/kube.ts';
import {
  SlackEmulator,
  validateBlocks,
  type RecordedCall,
  type SlackDriver,
} from '../../support/slack-emulator/index.ts';
import { callText, waitForJob } from '../../support/slack-flow.ts';

const ns = useTestNamespace('alerts');
jest.setTimeout(90_000);

let emu: SlackEmulator;
let bot: TestBot;
let slack: SlackDriver;
let clusterName: string;
let policyFile: string;
const people = ['U0ALICE', 'U0BOB', 'U0BOT'];

beforeAll(async () => {
  policyFile = join(ns.cluster.dir, `alerts-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(
    policyFile,
    `
roles:
  ops:    [{ verbs: ["*"] }]
  viewer: [{ verbs: [get, logs, status, history] }]
bindings:
  - { role: ops,    users: [U0ALICE] }
  - { role: viewer, users: [U0BOB] }
alerts:
  routes:
    - { namespaces: [${ns.name}], channel: C0ALERTS }
  cooldown: 10m
  recoverAfter: 2s
  unschedulableAfter: 2s
`,
  );
  emu = await SlackEmulator.start({
    allowWarnings: ['channel_rate'],
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0BOB', name: 'bob' },
    ],
    channels: [
      { id: 'C0ALERTS', name: 'alerts', members: people },
      { id: 'C0OPS', name: 'ops', members: people },
    ],
  });
  bot = await startTestBot({ emu, cluster: ns.cluster, policyFile });
  clusterName = bot.cluster;
  slack = emu.driver(bot.eventsUrl);
});

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

const alertPosts = (workload: string): RecordedCall[] =>
  emu.calls.filter(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.params['channel'] === 'C0ALERTS' &&
      c.params['thread_ts'] === undefined &&
      callText(c).includes(` ${workload} in ${ns.name}`),
  );

async function alertFor(workload: string, reason: string): Promise<RecordedCall> {
  return emu.waitFor(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.status === 200 &&
      c.params['channel'] === 'C0ALERTS' &&
      c.params['thread_ts'] === undefined &&
      callText(c).includes(`${reason}:`) &&
      callText(c).includes(` ${workload} in ${ns.name}`),
    { timeoutMs: 30_000 },
  );
}

const blocksOf = (c: RecordedCall): string => JSON.stringify(c.params['blocks'] ?? []);

async function deploy(name: string, image: string, replicas = 1): Promise<void> {
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: makeDeployment(name, image, { replicas }) });
}

describe('failed-pod alerts', () => {
  it('makes one message of 20 crash-looping pods of a Deployment, with a count, and edits it as they keep crashing', async () => {
    await deploy('web', 'ghcr.io/acme/web:1.0-crashloop', 20);
    const posted = await alertFor('web', 'CrashLoopBackOff');
    const ts = String(posted.result['ts']);
    expect(validateBlocks(posted.params['blocks'] as unknown[])).toEqual([]);
    expect(blocksOf(posted)).toContain('alert_restart');
    expect(blocksOf(posted)).toContain('alert_rollback');
    expect(blocksOf(posted)).toContain('exit code 1');
    await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] === ts && blocksOf(c).includes('*Pods failing:* 20'),
      { timeoutMs: 30_000 },
    );
    await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] === ts && /Seen:\* \d{2,} times/u.test(blocksOf(c)),
      { timeoutMs: 30_000 },
    );
    expect(alertPosts('web')).toHaveLength(1);
  });

  it.each([
    ['oomkilled', 'OOMKilled', 'exit code 137'],
    ['imagepull', 'ImagePullBackOff', 'not found'],
    ['pullauth', 'ImagePullBackOff', 'unauthorized'],
    ['configerror', 'CreateContainerConfigError', 'secret \\"app-secrets\\" not found'],
  ])('reports a Deployment whose pods are %s as %s, saying why', async (marker, reason, why) => {
    await deploy(marker, `ghcr.io/acme/${marker}:2.0-${marker}`);
    const posted = await alertFor(marker, reason);
    expect(blocksOf(posted)).toContain(why);
    expect(validateBlocks(posted.params['blocks'] as unknown[])).toEqual([]);
  });

  it("shows a crashed bare pod's previous log lines, secrets redacted, and its warning events", async () => {
    await servePodLogs(ns, 'crashy', {
      current: ['starting'],
      previous: ['connecting to db with password=hunter2', 'panic: connection refused'],
    });
    await ns.core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: 'crashy' },
        spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/app:1-crashloop' }] },
      },
    });
    const posted = await alertFor('crashy', 'CrashLoopBackOff');
    const blocks = blocksOf(posted);
    expect(blocks).toContain('panic: connection refused');
    expect(blocks).toContain('password=[redacted]');
    expect(blocks).not.toContain('hunter2');
    expect(blocks).toContain('Back-off restarting failed container');
    expect(blocks).not.toContain('alert_restart');
  });

  it("reports an evicted pod with the node's reason", async () => {
    await ns.core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: 'evictee' },
        spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/app:1-evicted' }] },
      },
    });
    const posted = await alertFor('evictee', 'Evicted');
    expect(blocksOf(posted)).toContain('low on resource: memory');
  });

  it('reports a pod that cannot be scheduled once it has waited longer than unschedulableAfter', async () => {
    const body = makeDeployment('stuck', 'ghcr.io/acme/stuck:1.0');
    body.spec!.template.spec!.nodeSelector = { 'coxswain.test/pool': 'none-such' };
    await ns.apps.createNamespacedDeployment({ namespace: ns.name, body });
    const posted = await alertFor('stuck', 'Unschedulable');
    expect(blocksOf(posted)).toContain('node(s) didn');
  });

  it('turns the message green and says "recovered" in its thread when the workload is healthy again', async () => {
    await deploy('api', 'ghcr.io/acme/api:1.0-crashloop', 2);
    const ts = String((await alertFor('api', 'CrashLoopBackOff')).result['ts']);
    await ns.apps.patchNamespacedDeployment({
      name: 'api',
      namespace: ns.name,
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'ghcr.io/acme/api:1.1' }],
    });
    const reply = await emu.waitFor(
      (c) => c.method === 'chat.postMessage' && c.params['thread_ts'] === ts && callText(c).includes('recovered after'),
      { timeoutMs: 45_000 },
    );
    expect(callText(reply)).toContain('Deployment api recovered after');
    const final = emu.messages('C0ALERTS').find((m) => m.ts === ts);
    expect(JSON.stringify(final?.attachments)).toContain('#2eb886');
    expect(JSON.stringify(final?.blocks)).not.toContain('alert_restart');
  });

  it('runs the Restart button for someone allowed, and refuses it, privately, to someone who is not', async () => {
    await deploy('worker', 'ghcr.io/acme/worker:1.0-crashloop');
    const ts = String((await alertFor('worker', 'CrashLoopBackOff')).result['ts']);
    await waitForAlertMessage(clusterName, ts);
    const since = emu.calls.length;
    const refused = await slack.clickButton({ channel: 'C0ALERTS', ts, actionId: 'alert_restart', user: 'U0BOB' });
    expect(refused.status).toBe(200);
    await emu.waitFor((c) => c.method === 'response_url', { since });
    expect(JSON.stringify(emu.ephemerals('U0BOB').at(-1))).toContain('You may not restart worker');
    expect(
      emu.calls
        .slice(since)
        .filter((c) => c.method === 'chat.postMessage' && callText(c).includes('restart worker in')),
    ).toEqual([]);
    const before = emu.calls.length;
    await slack.clickButton({ channel: 'C0ALERTS', ts, actionId: 'alert_restart', user: 'U0ALICE' });
    const job = await waitForJob(emu, 'restart worker in', { since: before });
    expect(job.root.params['channel']).toBe('C0ALERTS');
    const d = await ns.apps.readNamespacedDeployment({ name: 'worker', namespace: ns.name });
    expect(d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
  });

  it('also says the alert in the thread of the Slack rollout that caused it, naming who started it', async () => {
    await deploy('shop', 'ghcr.io/acme/shop:1.0');
    const since = emu.calls.length;
    await slack.slashCommand('/k8s', `deploy shop ghcr.io/acme/shop:1.1-crashloop -n ${ns.name}`, {
      user: 'U0ALICE',
      channel: 'C0OPS',
    });
    const job = await waitForJob(emu, 'deploy shop', { since });
    const root = String(job.root.result['ts']);
    await alertFor('shop', 'CrashLoopBackOff');
    const note = await emu.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.params['channel'] === 'C0OPS' &&
        c.params['thread_ts'] === root &&
        callText(c).includes('is failing'),
      { since, timeoutMs: 30_000 },
    );
    expect(callText(note)).toContain('<@U0ALICE>');
    expect(blocksOf(note)).toContain('alert_rollback');
  });

  it('delivers an alert once, later, when Slack answers 429 for a while', async () => {
    const since = emu.calls.length;
    for (let i = 0; i < 3; i++) emu.faults.next('chat.postMessage', { status: 429, retryAfter: 1 });
    await deploy('limited', 'ghcr.io/acme/limited:1.0-crashloop');
    const posted = await alertFor('limited', 'CrashLoopBackOff');
    expect(emu.calls.slice(since).filter((c) => c.method === 'chat.postMessage' && c.status === 429)).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(alertPosts('limited').filter((c) => c.status === 200)).toHaveLength(1);
    expect(posted.status).toBe(200);
  });

  it('posts nothing again after a watcher restart for failures it already reported', async () => {
    const posts = (): number =>
      emu.calls.filter(
        (c) =>
          c.method === 'chat.postMessage' &&
          c.status === 200 &&
          c.params['channel'] === 'C0ALERTS' &&
          c.params['thread_ts'] === undefined,
      ).length;
    const before = posts();
    await bot.stop();
    bot = await startTestBot({ emu, cluster: ns.cluster, policyFile, clusterName });
    slack = emu.driver(bot.eventsUrl);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(bot.logs.some((l) => l.includes('this replica leads'))).toBe(true);
    expect(posts()).toBe(before);
  });
});
