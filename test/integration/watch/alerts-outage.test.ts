// The API server of a private cluster stopped for 10 s while the bot watches:
// the watcher loses and retakes its Lease, relists, reports what fails after the
// outage, and says nothing twice about what it had already reported.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { makeDeployment } from '../../support/kube.ts';
import { usePrivateCluster } from '../../support/private-cluster.ts';
import { SlackEmulator, type RecordedCall } from '../../support/slack-emulator/index.ts';
import { callText } from '../../support/slack-flow.ts';

const cluster = usePrivateCluster('alerts-outage');
jest.setTimeout(180_000);

let emu: SlackEmulator;
let bot: TestBot;
const namespace = 'outage';

beforeAll(async () => {
  await cluster.core.createNamespace({ body: { metadata: { name: namespace } } });
  const policyFile = join(cluster.state.dir, `policy-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(
    policyFile,
    `alerts:\n  routes:\n    - { namespaces: [${namespace}], channel: C0ALERTS }\n  recoverAfter: 1m\n`,
  );
  emu = await SlackEmulator.start({ channels: [{ id: 'C0ALERTS', name: 'alerts', members: ['U0BOT'] }] });
  bot = await startTestBot({ emu, cluster: cluster.state, policyFile });
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

const posts = (workload: string): RecordedCall[] =>
  emu.calls.filter(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.status === 200 &&
      c.params['thread_ts'] === undefined &&
      callText(c).includes(` ${workload} in ${namespace}`),
  );

async function crashLoop(name: string): Promise<void> {
  const apps = cluster.admin.makeApiClient(k8s.AppsV1Api);
  // The default ServiceAccount of a new namespace may lag; the ReplicaSet controller retries pod creation anyway.
  await apps.createNamespacedDeployment({
    namespace,
    body: makeDeployment(name, `ghcr.io/acme/${name}:1-crashloop`, { replicas: 2 }),
  });
}

describe('alerts across an API server outage', () => {
  it('reports failures after a 10 s outage, and repeats none from before it', async () => {
    await crashLoop('before');
    await emu.waitFor((c) => posts('before').includes(c), { timeoutMs: 60_000 });

    await cluster.restartApiServer({ downMs: 10_000 });
    await crashLoop('after');
    await emu.waitFor((c) => posts('after').includes(c), { timeoutMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(posts('before')).toHaveLength(1);
    expect(posts('after')).toHaveLength(1);
    expect(bot.logs.filter((l) => l.includes('this replica leads')).length).toBeGreaterThanOrEqual(1);
  });
});
