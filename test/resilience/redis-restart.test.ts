// A Redis of the test's own (AOF on, fsync always) restarted while jobs wait in
// the queue (the worker busy with 8 slow rollouts, its concurrency) and while an
// approval request has one of its two votes. Afterwards nothing is missing: the
// waiting jobs run once each, the first vote still counts, every audit record
// from before is still in the chain. Gateway and worker reconnect by themselves,
// and commands and clicks during the outage are answered "try again", not dropped.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { readAuditTrail } from '../support/audit-trail.ts';
import { startTestBot, type TestBot } from '../support/bot.ts';
import { waitUntil } from '../support/cluster/processes.ts';
import { makeDeployment, useTestNamespace } from '../support/kube.ts';
import { writeApprovalPolicy } from '../support/policies/approval-policy.ts';
import { startPrivateRedis, type PrivateRedis } from '../support/redis-server.ts';
import { SlackEmulator, type SlackDriver } from '../support/slack-emulator/index.ts';
import { callText, waitForJob } from '../support/slack-flow.ts';

const ns = useTestNamespace('redis-restart');
const prod = useTestNamespace('redis-restart-prod');
jest.setTimeout(300_000);

const clusterName = `rr-${randomBytes(3).toString('hex')}`;
const busy = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `busy-${i}`);
const queued = ['wait-0', 'wait-1'];
let redis: PrivateRedis;
let emu: SlackEmulator;
let gateway: TestBot;
let worker: TestBot;
let slack: SlackDriver;
let queue: Queue;

beforeAll(async () => {
  redis = await startPrivateRedis({ appendOnly: true });
  const policyFile = await writeApprovalPolicy(
    ns.cluster.dir,
    'redis-restart',
    [`{ namespaces: [${prod.name}], verbs: [scale], approvers: { users: [U0BOB, U0CAROL] }, required: 2 }`],
    { approvers: ['U0BOB', 'U0CAROL'] },
  );
  emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
  const options = { emu, cluster: ns.cluster, clusterName, policyFile, env: { REDIS_URL: redis.url } };
  gateway = await startTestBot({ ...options, role: 'gateway' });
  worker = await startTestBot({ ...options, role: 'worker' });
  slack = emu.driver(gateway.eventsUrl);
  // The test's own view of the queue; it waits out the restart like the bot's connections.
  queue = new Queue(clusterName, {
    connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null },
    prefix: 'coxswain',
  });
  queue.on('error', () => undefined);
  // The busy rollouts outlast the restart: their new pods turn Ready 30 s after they start.
  for (const name of busy) {
    await ns.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: makeDeployment(name, `ghcr.io/acme/${name}:1.0`, {
        podAnnotations: { 'pod-ready.stage.kwok.x-k8s.io/delay': '30s' },
      }),
    });
  }
  for (const name of queued)
    await ns.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: makeDeployment(name, `ghcr.io/acme/${name}:1.0`),
    });
  await prod.apps.createNamespacedDeployment({
    namespace: prod.name,
    body: makeDeployment('api', 'ghcr.io/acme/api:1.0'),
  });
}, 60_000);

let redisDown = false;

afterAll(async () => {
  // Stopping the worker waits for its jobs, which need Redis: bring it back if a failed test left it down.
  if (redisDown) await redis.start();
  await gateway?.stop();
  await worker?.stop();
  await queue?.close();
  await emu?.stop();
  await redis?.destroy();
}, 120_000);

const status = (port: number): Promise<number> =>
  fetch(`http://127.0.0.1:${port}/readyz`).then(
    (r) => r.status,
    () => 0,
  );

async function click(user: string, ts: string): Promise<string> {
  const since = emu.calls.length;
  expect((await slack.clickButton({ channel: 'C0OPS', ts, actionId: 'approval_approve', user })).status).toBe(200);
  await emu.waitFor((c) => c.method === 'response_url', { since });
  return JSON.stringify(emu.ephemerals(user).at(-1));
}

/** Asks for a scale in the protected namespace; resolves with the card's ts once its buttons show. */
async function requestApproval(): Promise<string> {
  const since = emu.calls.length;
  await slack.slashCommand('/k8s', `scale api 3 -n ${prod.name}`, { user: 'U0ALICE', channel: 'C0OPS' });
  const card = await emu.waitFor((c) => c.method === 'chat.postMessage' && callText(c).includes('approval request'), {
    since,
  });
  const ts = String(card.result['ts']);
  await emu.waitFor(
    (c) =>
      c.method === 'chat.update' &&
      c.params['ts'] === ts &&
      JSON.stringify(c.params['blocks']).includes('approval_approve'),
    { since },
  );
  return ts;
}

describe('Redis restarted while jobs wait and an approval is pending', () => {
  it('loses no job, vote or audit record; both roles reconnect; the outage gets "try again"', async () => {
    const card = await requestApproval();
    expect(await click('U0BOB', card)).toContain('Counted: 1 of 2 approvals');

    const since = emu.calls.length;
    for (const name of [...busy, ...queued]) {
      await slack.slashCommand('/k8s', `deploy ${name} ghcr.io/acme/${name}:2.0 -n ${ns.name}`, {
        user: 'U0ALICE',
        channel: 'C0OPS',
      });
    }
    await waitUntil(
      async () => {
        const counts = await queue.getJobCounts('active', 'waiting');
        return counts['active'] === 8 && counts['waiting'] === 2;
      },
      { what: '8 jobs active and 2 waiting', timeoutMs: 60_000 },
    );
    const before = await readAuditTrail(redis.url, clusterName);
    expect(before.records.some((r) => r.record.kind === 'approval.vote' && r.record.user === 'U0BOB')).toBe(true);

    await redis.stop();
    redisDown = true;
    const downAt = Date.now();
    expect(await status(gateway.port)).toBe(503);
    const asks = [
      await slack.slashCommand('/k8s', `get pods -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0OPS' }),
      await slack.slashCommand('/k8s', `deploy wait-0 ghcr.io/acme/wait-0:3.0 -n ${ns.name}`, {
        user: 'U0ALICE',
        channel: 'C0OPS',
      }),
    ];
    for (const ask of asks) {
      expect([ask.status, ask.ms < 3000, ask.ack?.visibility]).toEqual([200, true, 'ephemeral']);
      expect(`${ask.ack?.text ?? ''}`).toMatch(/try again/iu);
    }
    expect(await click('U0CAROL', card)).toMatch(/try again/iu);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await redis.start();
    redisDown = false;
    const upAt = Date.now();

    await waitUntil(async () => (await status(gateway.port)) === 200 && (await status(worker.port)) === 200, {
      what: 'gateway and worker ready again',
      timeoutMs: 30_000,
    });
    const readyMs = Date.now() - upAt;
    expect(await click('U0CAROL', card)).toContain('Approved');
    const scaled = await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] !== card && /^[✅❌] .*scale api/u.test(callText(c)),
      { timeoutMs: 120_000 },
    );
    expect(callText(scaled)).toMatch(/^✅/u);
    expect((await prod.apps.readNamespacedDeployment({ name: 'api', namespace: prod.name })).spec?.replicas).toBe(3);

    const jobs = await Promise.all(
      [...busy, ...queued].map((name) => waitForJob(emu, `deploy ${name} to`, { since, timeoutMs: 180_000 })),
    );
    for (const job of jobs) expect(job.finalText).toMatch(/^✅/u);
    for (const name of [...busy, ...queued]) {
      expect(
        (await ns.apps.readNamespacedDeployment({ name, namespace: ns.name })).spec?.template.spec?.containers[0]
          ?.image,
      ).toBe(`ghcr.io/acme/${name}:2.0`);
    }
    const after = await readAuditTrail(redis.url, clusterName);
    expect(after.verdict.ok).toBe(true);
    const kept = new Set(after.records.map((r) => r.id));
    expect(before.records.filter((r) => !kept.has(r.id))).toEqual([]);
    const finished = after.records
      .filter((r) => r.record.kind === 'job.finished' && r.record.outcome === 'succeeded')
      .map((r) => r.record.jobId);
    expect(new Set(finished).size).toBe(finished.length);
    expect(finished).toHaveLength(busy.length + queued.length + 1);
    // The refusals during the outage could not reach Redis; their audit lines are in the log.
    expect(
      gateway.logs.filter((l) => l.includes('"stored":false') && l.includes('"kind":"request.failed"')),
    ).toHaveLength(2);
    process.stdout.write(
      `redis-restart: down ${upAt - downAt} ms; gateway and worker ready ${readyMs} ms after Redis was back; ${jobs.length} queued jobs + 1 approved job finished once each; ${before.records.length} audit records kept\n`,
    );
  });
});
