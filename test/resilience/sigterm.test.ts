// SIGTERM to a worker process (what Kubernetes sends before it stops a pod)
// while it follows a deploy's rollout. The job it runs finishes — its ✅ only
// once the rollout really is complete — the process takes no new job, another
// worker runs the next one, and the process exits 0.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { readAuditTrail } from '../support/audit-trail.ts';
import { waitUntil } from '../support/cluster/processes.ts';
import { spawnBot, type BotProcess } from '../support/bot.ts';
import { makeDeployment, useTestNamespace, waitForObject } from '../support/kube.ts';
import { SlackEmulator, type RecordedCall } from '../support/slack-emulator/index.ts';
import { callText, waitForJob } from '../support/slack-flow.ts';

const ns = useTestNamespace('sigterm');
// Generous: on a loaded machine kwok may take half a minute for a 3 s readiness delay.
jest.setTimeout(300_000);

const clusterName = `st-${randomBytes(3).toString('hex')}`;
let emu: SlackEmulator;
const processes: BotProcess[] = [];

async function spawn(role: 'gateway' | 'worker'): Promise<BotProcess> {
  const bot = await spawnBot({ emu, cluster: ns.cluster, role, clusterName });
  processes.push(bot);
  return bot;
}

const rolledOut =
  (image: string) =>
  (d: k8s.V1Deployment): boolean =>
    d.metadata?.name === 'web' &&
    d.spec?.template.spec?.containers[0]?.image === image &&
    (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) &&
    d.status?.updatedReplicas === 3 &&
    d.status.availableReplicas === 3 &&
    d.status.replicas === 3;

beforeAll(async () => {
  emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
  // Each new pod turns Ready 3 s after it starts: the rollout to 3 replicas takes about 9 s.
  await ns.apps.createNamespacedDeployment({
    namespace: ns.name,
    body: makeDeployment('web', 'ghcr.io/acme/web:1.0', {
      replicas: 3,
      podAnnotations: { 'pod-ready.stage.kwok.x-k8s.io/delay': '3s' },
    }),
  });
  await ns.apps.createNamespacedDeployment({ namespace: ns.name, body: makeDeployment('api', 'ghcr.io/acme/api:1.0') });
  await waitForObject<k8s.V1Deployment>(
    ns.admin,
    `/apis/apps/v1/namespaces/${ns.name}/deployments`,
    rolledOut('ghcr.io/acme/web:1.0'),
    { what: 'web 1.0 to be rolled out', timeoutMs: 150_000 },
  );
}, 180_000);

afterAll(async () => {
  for (const p of processes) await p.stop();
  await emu?.stop();
});

const finalEdits = (ts: string): RecordedCall[] =>
  emu.calls.filter(
    (c) => c.method === 'chat.update' && c.status === 200 && c.params['ts'] === ts && /^[✅❌]/u.test(callText(c)),
  );

describe('SIGTERM to a worker in the middle of a deploy', () => {
  it('finishes the job, reports ✅ only once the rollout is complete, takes no new job, and exits 0', async () => {
    const gateway = await spawn('gateway');
    const worker = await spawn('worker');
    const slack = emu.driver(gateway.eventsUrl);
    await slack.slashCommand('/k8s', `deploy web ghcr.io/acme/web:2.0 -n ${ns.name}`, {
      user: 'U0ALICE',
      channel: 'C0OPS',
    });
    const root = await emu.waitFor(
      (c) =>
        c.method === 'chat.postMessage' && c.params['thread_ts'] === undefined && callText(c).includes('deploy web'),
    );
    const ts = String(root.result['ts']);
    await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] === ts && /\d\/3 updated/u.test(callText(c)),
      { timeoutMs: 30_000 },
    );
    worker.kill('SIGTERM');
    const termAt = Date.now();
    // The signal is handled when the worker's event loop gets to it; a job queued before that is fair game.
    await waitUntil(async () => worker.output().includes('"message":"stopping"'), {
      what: 'the worker to say it is stopping',
      timeoutMs: 5000,
      intervalMs: 5,
    });

    // A job queued once the worker is stopping, while it still finishes the deploy: not for it.
    const since = emu.calls.length;
    await slack.slashCommand('/k8s', `scale api 2 -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0OPS' });
    await emu.waitFor((c) => c.method === 'chat.postMessage' && callText(c).includes('scale api'), { since });
    // Read the moment the ✅ arrives: a premature "done" would find the last new pod still seconds from Ready.
    const final = await emu.waitFor(
      (c) => c.method === 'chat.update' && c.params['ts'] === ts && /^[✅❌]/u.test(callText(c)),
      { timeoutMs: 180_000 },
    );
    const atFinal = await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
    expect(callText(final)).toMatch(/^✅/u);
    expect(rolledOut('ghcr.io/acme/web:2.0')(atFinal)).toBe(true);
    const exit = await worker.exited;
    const exitedAt = Date.now();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(final.time).toBeLessThanOrEqual(exitedAt);
    expect(finalEdits(ts)).toEqual([final]);
    expect(emu.thread('C0OPS', ts).slice(1)).toHaveLength(1);
    expect(worker.output()).not.toContain('scale api');

    const other = await spawn('worker');
    const scaled = await waitForJob(emu, 'scale api', { since, timeoutMs: 60_000 });
    expect(scaled.finalText).toMatch(/^✅/u);
    expect(other.output()).toContain('scale api');
    expect((await ns.apps.readNamespacedDeployment({ name: 'api', namespace: ns.name })).spec?.replicas).toBe(2);

    const jobs = (await readAuditTrail(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', clusterName)).records
      .map((r) => r.record)
      .filter((r) => r.kind.startsWith('job.'))
      .map((r) => `${r.kind}:${r.command ?? ''}${r.outcome ? `:${r.outcome}` : ''}`);
    expect(jobs).toEqual([
      'job.started:deploy',
      'job.finished:deploy:succeeded',
      'job.started:scale',
      'job.finished:scale:succeeded',
    ]);
    process.stdout.write(`sigterm: ✅ ${final.time - termAt} ms after SIGTERM, exit 0 at +${exitedAt - termAt} ms\n`);
  });
});
