// Two watcher replicas of one cluster: one leads and alerts, the other stands by;
// when the leader stops, the standby takes over, alerts on what fails next, and
// repeats nothing the first one already said.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { waitUntil } from '../../support/cluster/processes.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import { SlackEmulator, type RecordedCall } from '../../support/slack-emulator/index.ts';
import { callText } from '../../support/slack-flow.ts';

const ns = useTestNamespace('handover');
jest.setTimeout(90_000);

let emu: SlackEmulator;
const bots: TestBot[] = [];

beforeAll(async () => {
  const policyFile = join(ns.cluster.dir, `handover-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(
    policyFile,
    `alerts:\n  routes:\n    - { namespaces: [${ns.name}], channel: C0ALERTS }\n  recoverAfter: 1m\n`,
  );
  emu = await SlackEmulator.start({ channels: [{ id: 'C0ALERTS', name: 'alerts', members: ['U0BOT'] }] });
  const clusterName = `h-${randomBytes(4).toString('hex')}`;
  for (const role of ['worker', 'watcher', 'watcher'] as const)
    bots.push(await startTestBot({ emu, cluster: ns.cluster, policyFile, clusterName, role }));
});

afterAll(async () => {
  for (const bot of bots) await bot.stop().catch(() => undefined);
  await emu?.stop();
});

const leads = (bot: TestBot | undefined): boolean =>
  (bot?.logs.filter((l) => l.includes('this replica leads')).length ?? 0) > 0;
const posts = (workload: string): RecordedCall[] =>
  emu.calls.filter(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.status === 200 &&
      c.params['thread_ts'] === undefined &&
      callText(c).includes(` ${workload} in ${ns.name}`),
  );

describe('watcher hand-over', () => {
  it('alerts from one leader at a time, and the standby carries on when the leader stops', async () => {
    const [, a, b] = bots;
    await waitUntil(async () => leads(a) || leads(b), { what: 'a watcher to lead', timeoutMs: 15_000 });
    expect(leads(a) && leads(b)).toBe(false);
    const leader = leads(a) ? a : b;
    const standby = leader === a ? b : a;

    await ns.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: makeDeployment('one', 'ghcr.io/acme/one:1-crashloop', { replicas: 3 }),
    });
    await emu.waitFor((c) => posts('one').includes(c), { timeoutMs: 30_000 });

    await leader?.stop();
    await waitUntil(async () => leads(standby), { what: 'the standby to take over', timeoutMs: 15_000 });
    await ns.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: makeDeployment('two', 'ghcr.io/acme/two:1-crashloop'),
    });
    await emu.waitFor((c) => posts('two').includes(c), { timeoutMs: 30_000 });
    // The new leader relisted 'one' too: it is the same alert, so nothing new is posted for it.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(posts('one')).toHaveLength(1);
    expect(posts('two')).toHaveLength(1);
  });
});
