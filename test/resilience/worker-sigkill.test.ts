// A worker process killed with SIGKILL while it follows a deploy's rollout: the
// gateway and the workers run as separate `coxswain start --role …` processes
// on one queue. BullMQ's stalled-job check hands the job to a second worker once
// the dead one's job lock lapses (lockDuration 60 s, stalledInterval 30 s, as
// shipped), which runs it again: the image is set once (one new ReplicaSet, one
// change-cause), and the thread gets one result and one ✅, no duplicates. Then
// the same for a `rollout undo`, which must not undo its own undo when run again,
// and for an approved deploy, whose run that takes over must take the change the lost
// run made for its own, not for a change "since the request was approved" (this one
// with COXSWAIN_JOB_LEASE=10s, so the takeover comes within about 15 s).
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { readAuditTrail } from '../support/audit-trail.ts';
import { spawnBot, type BotProcess } from '../support/bot.ts';
import { makeDeployment, useTestNamespace, waitForObject } from '../support/kube.ts';
import { writeApprovalPolicy } from '../support/policies/approval-policy.ts';
import { SlackEmulator, type RecordedCall } from '../support/slack-emulator/index.ts';
import { callText } from '../support/slack-flow.ts';

const ns = useTestNamespace('sigkill');
const prod = useTestNamespace('sigkill-prod');
// Recovery alone may take 90 s with the shipped BullMQ settings.
jest.setTimeout(420_000);

const clusterName = `sk-${randomBytes(3).toString('hex')}`;
const image = 'ghcr.io/acme/web:2.0';
let emu: SlackEmulator;
const processes: BotProcess[] = [];

async function spawn(role: 'gateway' | 'worker'): Promise<BotProcess> {
  const bot = await spawnBot({ emu, cluster: ns.cluster, role, clusterName });
  processes.push(bot);
  return bot;
}

const rolledOut = (d: k8s.V1Deployment, name = 'web'): boolean =>
  d.metadata?.name === name &&
  (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) &&
  d.status?.updatedReplicas === 3 &&
  d.status.availableReplicas === 3 &&
  d.status.replicas === 3;

beforeAll(async () => {
  emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
  // Each new pod turns Ready 4 s after it starts: with maxSurge 1 the rollout to 3 replicas takes about 12 s.
  await ns.apps.createNamespacedDeployment({
    namespace: ns.name,
    body: makeDeployment('web', 'ghcr.io/acme/web:1.0', {
      replicas: 3,
      podAnnotations: { 'pod-ready.stage.kwok.x-k8s.io/delay': '4s' },
    }),
  });
  await prod.apps.createNamespacedDeployment({
    namespace: prod.name,
    body: makeDeployment('api', 'ghcr.io/acme/api:1.0', {
      replicas: 3,
      podAnnotations: { 'pod-ready.stage.kwok.x-k8s.io/delay': '4s' },
    }),
  });
  await waitForObject<k8s.V1Deployment>(
    ns.admin,
    `/apis/apps/v1/namespaces/${ns.name}/deployments`,
    (d) => rolledOut(d),
    { what: 'web 1.0 to be rolled out', timeoutMs: 150_000 },
  );
  await waitForObject<k8s.V1Deployment>(
    prod.admin,
    `/apis/apps/v1/namespaces/${prod.name}/deployments`,
    (d) => rolledOut(d, 'api'),
    { what: 'api 1.0 to be rolled out', timeoutMs: 150_000 },
  );
}, 180_000);

afterAll(async () => {
  for (const p of processes) await p.stop();
  await emu?.stop();
});

const rootEdits = (ts: string): RecordedCall[] =>
  emu.calls.filter((c) => c.method === 'chat.update' && c.status === 200 && c.params['ts'] === ts);

describe('a worker killed with SIGKILL in the middle of a deploy', () => {
  it('has its job finished by another worker: one new revision, one result, one ✅', async () => {
    const gateway = await spawn('gateway');
    const first = await spawn('worker');
    const ack = await emu
      .driver(gateway.eventsUrl)
      .slashCommand('/k8s', `deploy web ${image} -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0OPS' });
    expect(ack.status).toBe(200);
    const root = await emu.waitFor(
      (c) =>
        c.method === 'chat.postMessage' && c.params['thread_ts'] === undefined && callText(c).includes('deploy web'),
    );
    const ts = String(root.result['ts']);
    // The first worker follows the rollout: the root shows its progress, and no result yet.
    await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] === ts && /\d\/3 updated/u.test(callText(c)),
      { timeoutMs: 30_000 },
    );
    first.kill('SIGKILL');
    const killedAt = Date.now();
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(rolledOut(await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name }))).toBe(false);
    const since = emu.calls.length;

    const second = await spawn('worker');
    const takeover = await emu.waitFor((c) => c.method === 'chat.update' && c.params['ts'] === ts, {
      since,
      timeoutMs: 150_000,
    });
    const recoveredMs = Date.now() - killedAt;
    const final = await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] === ts && /^[✅❌]/u.test(callText(c)),
      { since, timeoutMs: 180_000 },
    );
    const doneMs = Date.now() - killedAt;
    expect(callText(final)).toMatch(/^✅/u);
    // Anything late (a duplicate result, a second edit) would land within this.
    await new Promise((resolve) => setTimeout(resolve, 3000));

    const finals = rootEdits(ts).filter((c) => /^[✅❌]/u.test(callText(c)));
    expect(finals).toHaveLength(1);
    expect(rootEdits(ts).at(-1)).toBe(final);
    const replies = emu.thread('C0OPS', ts).slice(1);
    expect(replies).toHaveLength(1);
    // What the job changed, though the run that reports it found the image already set by the lost one.
    expect(`${replies[0]?.text ?? ''}${JSON.stringify(replies[0]?.blocks ?? [])}`).toContain(
      'web: ghcr.io/acme/web:1.0 → ghcr.io/acme/web:2.0 (resumed',
    );

    const deployment = await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(image);
    expect(deployment.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(deployment.metadata?.annotations?.['kubernetes.io/change-cause']).toBe(
      `coxswain: @alice (U0ALICE) deploy web ${image}`,
    );
    const replicaSets = (await ns.apps.listNamespacedReplicaSet({ namespace: ns.name, labelSelector: 'app=web' }))
      .items;
    expect(replicaSets.map((r) => r.spec?.template?.spec?.containers[0]?.image).sort()).toEqual([
      'ghcr.io/acme/web:1.0',
      image,
    ]);

    // The trail shows the job started twice (the killed attempt, the recovered one) and finished once.
    const jobRecords = (await readAuditTrail(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', clusterName)).records
      .map((r) => r.record)
      .filter((r) => r.kind.startsWith('job.'));
    expect(jobRecords.map((r) => `${r.kind}${r.outcome ? `:${r.outcome}` : ''}`)).toEqual([
      'job.started',
      'job.started',
      'job.finished:succeeded',
    ]);
    expect(second.output()).toContain('"kind":"job.finished"');
    process.stdout.write(
      `worker-sigkill: takeover edit ${recoveredMs} ms after the kill (${callText(takeover).slice(0, 60)}…), ✅ after ${doneMs} ms\n`,
    );
  });

  it('rolls back once when the worker of a `rollout undo` is lost: the run that takes over does not undo the undo', async () => {
    const gateway = processes.find((p) => p.role === 'gateway');
    const worker = processes.filter((p) => p.role === 'worker').at(-1);
    if (!gateway || !worker) throw new Error('the first case left no gateway and worker running');
    await emu
      .driver(gateway.eventsUrl)
      .slashCommand('/k8s', `rollout undo web -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0OPS' });
    const root = await emu.waitFor(
      (c) =>
        c.method === 'chat.postMessage' && c.params['thread_ts'] === undefined && callText(c).includes('roll back web'),
    );
    const ts = String(root.result['ts']);
    await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] === ts && /\d\/3 updated/u.test(callText(c)),
      { timeoutMs: 30_000 },
    );
    worker.kill('SIGKILL');
    await worker.exited;
    const since = emu.calls.length;
    await spawn('worker');
    const final = await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] === ts && /^[✅❌]/u.test(callText(c)),
      { since, timeoutMs: 180_000 },
    );
    expect(callText(final)).toMatch(/^✅/u);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(rootEdits(ts).filter((c) => /^[✅❌]/u.test(callText(c)))).toHaveLength(1);
    const replies = emu.thread('C0OPS', ts).slice(1);
    expect(replies).toHaveLength(1);
    expect(`${replies[0]?.text ?? ''}${JSON.stringify(replies[0]?.blocks ?? [])}`).toContain(
      'an earlier run of this job made the rollback',
    );

    // Back on 1.0 as revision 3, once: run twice without the job's mark, it would be on 2.0 again as revision 4.
    const deployment = await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/acme/web:1.0');
    expect(deployment.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  });
});

describe('a worker killed in the middle of an approved deploy', () => {
  it("has the job finished by another worker, which takes the lost run's change for its own, not for a change since the approval", async () => {
    const policyFile = await writeApprovalPolicy(prod.cluster.dir, 'sigkill-approvals', [
      `{ namespaces: [${prod.name}], verbs: [deploy], approvers: { users: [U0BOB] } }`,
    ]);
    const options = {
      emu,
      cluster: prod.cluster,
      clusterName: `${clusterName}-a`,
      policyFile,
      env: { COXSWAIN_JOB_LEASE: '10s' },
    };
    const start = async (role: 'gateway' | 'worker'): Promise<BotProcess> => {
      const bot = await spawnBot({ ...options, role });
      processes.push(bot);
      return bot;
    };
    const slack = emu.driver((await start('gateway')).eventsUrl);
    const first = await start('worker');
    let since = emu.calls.length;
    await slack.slashCommand('/k8s', `deploy api ghcr.io/acme/api:2.0 -n ${prod.name}`, {
      user: 'U0ALICE',
      channel: 'C0OPS',
    });
    const card = String(
      (await emu.waitFor((c) => c.method === 'chat.postMessage' && callText(c).includes('approval request'), { since }))
        .result['ts'],
    );
    await emu.waitFor(
      (c) =>
        c.method === 'chat.update' &&
        c.params['ts'] === card &&
        JSON.stringify(c.params['blocks']).includes('approval_approve'),
      { since },
    );
    since = emu.calls.length;
    expect(
      (await slack.clickButton({ channel: 'C0OPS', ts: card, actionId: 'approval_approve', user: 'U0BOB' })).status,
    ).toBe(200);
    await emu.waitFor((c) => c.method === 'response_url', { since });
    expect(JSON.stringify(emu.ephemerals('U0BOB').at(-1))).toContain('Approved');

    // The approved job runs in the card's thread; its first worker follows the rollout and is lost.
    const job = await emu.waitFor(
      (c) => c.method === 'chat.postMessage' && c.params['thread_ts'] === card && callText(c).includes('deploy api'),
      { since },
    );
    const ts = String(job.result['ts']);
    await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] === ts && /\d\/3 updated/u.test(callText(c)),
      { timeoutMs: 30_000 },
    );
    first.kill('SIGKILL');
    const killedAt = Date.now();
    await first.exited;
    expect(rolledOut(await prod.apps.readNamespacedDeployment({ name: 'api', namespace: prod.name }), 'api')).toBe(
      false,
    );
    since = emu.calls.length;
    await start('worker');
    const final = await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] === ts && /^[✅❌]/u.test(callText(c)),
      { since, timeoutMs: 120_000 },
    );
    const doneMs = Date.now() - killedAt;
    // Before the job's mark, this run found the image it had set itself and refused: "changed since the request was
    // approved".
    expect(callText(final)).toMatch(/^✅/u);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(rootEdits(ts).filter((c) => /^[✅❌]/u.test(callText(c)))).toHaveLength(1);
    const thread = emu.thread('C0OPS', card).map((m) => `${m.text ?? ''}${JSON.stringify(m.blocks ?? [])}`);
    expect(thread.filter((text) => text.includes('changed since the request was approved'))).toEqual([]);
    expect(thread.filter((text) => text.includes('ghcr.io/acme/api:1.0 → ghcr.io/acme/api:2.0 (resumed'))).toHaveLength(
      1,
    );

    const deployment = await prod.apps.readNamespacedDeployment({ name: 'api', namespace: prod.name });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/acme/api:2.0');
    expect(deployment.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    process.stdout.write(`worker-sigkill (approved deploy, lease 10 s): ✅ ${doneMs} ms after the kill\n`);
  });
});
