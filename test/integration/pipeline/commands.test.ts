// The other /k8s subcommands end to end, through the signed HTTP endpoint, the
// queue and the worker, against the test cluster as the bot's ServiceAccount.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { makeDeployment, servePodLogs, useTestNamespace, waitForObject } from '../../support/kube.ts';
import { SlackEmulator, type SlackDriver } from '../../support/slack-emulator/index.ts';
import { waitForJob } from '../../support/slack-flow.ts';

const ns = useTestNamespace('cmds');
let emu: SlackEmulator;
let bot: TestBot;
let slack: SlackDriver;

jest.setTimeout(60_000);

beforeAll(async () => {
  emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
  bot = await startTestBot({ emu, cluster: ns.cluster });
  slack = emu.driver(bot.eventsUrl);
  await ns.apps.createNamespacedDeployment({
    namespace: ns.name,
    body: makeDeployment('api', 'ghcr.io/acme/api:1.0', { replicas: 2 }),
  });
  await waitForObject<k8s.V1Deployment>(
    ns.admin,
    `/apis/apps/v1/namespaces/${ns.name}/deployments`,
    (d) => d.metadata?.name === 'api' && d.status?.availableReplicas === 2,
    { what: 'api to be available' },
  );
});

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

/** Sends a command as Alice in #ops and waits for its job to end; returns the final root text and the thread. */
async function run(command: string, marker: string): Promise<{ final: string; thread: string }> {
  const since = emu.calls.length;
  const ack = await slack.slashCommand('/k8s', command, { user: 'U0ALICE', channel: 'C0OPS' });
  expect(ack.ack).toBeUndefined();
  const job = await waitForJob(emu, marker, { since });
  return { final: job.finalText, thread: job.threadText };
}

async function ephemeral(command: string, channel = 'C0OPS'): Promise<string> {
  const ack = await slack.slashCommand('/k8s', command, { user: 'U0ALICE', channel });
  expect(ack.status).toBe(200);
  expect(ack.ack?.visibility).toBe('ephemeral');
  expect(ack.ack?.errors).toEqual([]);
  return `${ack.ack?.text ?? ''}\n${JSON.stringify(ack.ack?.blocks ?? [])}`;
}

describe('scale', () => {
  it('scales through the scale subresource and waits for the replicas', async () => {
    const { final, thread } = await run(`scale api 3 -n ${ns.name}`, 'scale api to 3');
    expect(final).toMatch(/^✅/u);
    expect(thread).toContain('replicas: 2 → 3');
    const d = await ns.apps.readNamespacedDeployment({ name: 'api', namespace: ns.name });
    expect(d.spec?.replicas).toBe(3);
    expect(d.metadata?.annotations?.['kubernetes.io/change-cause']).toContain('scale api 3');
  });

  it('says so when the deployment already has the count, and changes nothing', async () => {
    const before = await ns.apps.readNamespacedDeployment({ name: 'api', namespace: ns.name });
    // Not the same text as the test before (the gateway's repeat guard would take it for a second click).
    const { final, thread } = await run(`scale api 3 --namespace ${ns.name}`, 'scale api to 3');
    expect(final).toMatch(/^✅/u);
    expect(thread).toContain('replicas: already 3; nothing was changed');
    const after = await ns.apps.readNamespacedDeployment({ name: 'api', namespace: ns.name });
    expect(after.metadata?.generation).toBe(before.metadata?.generation);
    expect(after.metadata?.annotations?.['kubernetes.io/change-cause']).toContain('scale api 3');
  });

  it('asks for --yes before scaling to zero, and queues nothing', async () => {
    expect(await ephemeral(`scale api 0 -n ${ns.name}`)).toContain('add --yes to confirm');
  });

  it('refuses when a HorizontalPodAutoscaler manages the deployment, unless --force', async () => {
    await ns.admin.makeApiClient(k8s.AutoscalingV2Api).createNamespacedHorizontalPodAutoscaler({
      namespace: ns.name,
      body: {
        metadata: { name: 'api-hpa' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
          minReplicas: 2,
          maxReplicas: 5,
        },
      },
    });
    const refused = await run(`scale api 4 -n ${ns.name}`, 'scale api to 4');
    expect(refused.final).toMatch(/^❌ .*api-hpa.*--force/su);
    expect((await ns.apps.readNamespacedDeployment({ name: 'api', namespace: ns.name })).spec?.replicas).toBe(3);
    const forced = await run(`scale api 2 -n ${ns.name} --force`, 'scale api to 2');
    expect(forced.final).toMatch(/^✅/u);
  });
});

describe('rollout', () => {
  it('restarts every pod through a rollout', async () => {
    const { final } = await run(`rollout restart api -n ${ns.name}`, 'restart api');
    expect(final).toMatch(/^✅/u);
    const d = await ns.apps.readNamespacedDeployment({ name: 'api', namespace: ns.name });
    expect(d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
  });

  it('lists the history with who changed what, then undoes to the previous revision', async () => {
    expect((await run(`deploy api ghcr.io/acme/api:2.0 -n ${ns.name}`, 'api:2.0')).final).toMatch(/^✅/u);
    const history = await run(`rollout history api -n ${ns.name}`, 'rollout history of api');
    expect(history.final).toMatch(/^✅/u);
    expect(history.thread).toContain('deploy api ghcr.io/acme/api:2.0');
    expect(history.thread).toContain('U0ALICE');

    const undo = await run(`rollout undo api -n ${ns.name}`, 'roll back api');
    expect(undo.final).toMatch(/^✅/u);
    const d = await ns.apps.readNamespacedDeployment({ name: 'api', namespace: ns.name });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/acme/api:1.0');
  });

  it('says which revisions exist when --to-revision names none', async () => {
    const { final } = await run(`rollout undo api -n ${ns.name} --to-revision 99`, 'to revision 99');
    expect(final).toMatch(/^❌ .*99/su);
  });

  it('reports the status of a settled deployment at once', async () => {
    const { final, thread } = await run(`rollout status api -n ${ns.name}`, 'rollout status of api');
    expect(final).toMatch(/^✅/u);
    expect(thread).toMatch(/2\/2/u);
  });
});

describe('get and logs', () => {
  it('lists pods and deployments as compact tables', async () => {
    const pods = await run(`get pods -n ${ns.name} -l app=api`, 'get pods');
    expect(pods.final).toMatch(/^✅/u);
    expect(pods.thread).toMatch(/NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/u);
    expect(pods.thread).toMatch(/api-[a-z0-9]+-[a-z0-9]+\s+1\/1\s+Running/u);
    const deployments = await run(`get deployments -n ${ns.name}`, 'get deployments');
    expect(deployments.thread).toContain('ghcr.io/acme/api:1.0');
  });

  it("shows the tail of a pod's log, and of its previous instance", async () => {
    const list = await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=api' });
    const pod = list.items.find((p) => p.status?.phase === 'Running')?.metadata?.name ?? '';
    await servePodLogs(ns, pod, {
      current: ['booting', 'listening on :8080', 'GET /healthz 200'],
      previous: ['panic: nil map'],
    });
    let current = { final: '', thread: '' };
    for (let i = 0; i < 20 && !current.thread.includes('healthz'); i++) {
      current = await run(`logs ${pod} -n ${ns.name} --tail 2`, `logs of ${pod} in`);
    }
    expect(current.thread).toContain('GET /healthz 200');
    expect(current.thread).not.toContain('booting');
    const previous = await run(`logs ${pod} -n ${ns.name} --previous`, `logs of ${pod} (previous)`);
    expect(previous.thread).toContain('panic: nil map');
  });

  it('says a missing pod is not found, with a suggestion', async () => {
    const { final, thread } = await run(`logs api-nope -n ${ns.name}`, 'logs of api-nope');
    expect(`${final}\n${thread}`).toMatch(/not found/iu);
  });
});

describe('answered by the gateway at once', () => {
  it('help lists the commands; help <command> explains one', async () => {
    expect(await ephemeral('help')).toContain('rollout undo');
    expect(await ephemeral('help scale')).toContain('--force');
  });

  it('whoami names the user, channel and cluster', async () => {
    const answer = await ephemeral('whoami');
    expect(answer).toContain('U0ALICE');
    expect(answer).toContain(bot.cluster);
  });

  it('suggests the command that was meant', async () => {
    expect(await ephemeral('rollout stauts api')).toContain('rollout status');
  });

  it('asks to be invited when it is not in the channel, and queues nothing', async () => {
    const since = emu.calls.length;
    const ack = await slack.slashCommand('/k8s', `get pods -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0RANDOM' });
    expect(ack.ack).toBeUndefined();
    // The gateway acks first; what went wrong after the ack comes through the response_url.
    await emu.waitFor((c) => c.method === 'response_url', { since });
    expect(JSON.stringify(emu.ephemerals('U0ALICE').at(-1))).toContain('/invite');
    expect(emu.calls.slice(since).filter((c) => c.method === 'chat.postMessage' && c.result.ok)).toEqual([]);
  });

  it('leaves no Block Kit warnings', () => {
    expect(emu.blockKitWarnings).toEqual([]);
  });
});
