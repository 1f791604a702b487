// The start-up self-check, as an operator meets it: a bot whose Kubernetes
// identity cannot do what the policy allows, and an alert channel it is not in,
// is told so in its log at start — not at the first deploy or the first alert.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { waitUntil } from '../../support/cluster/processes.ts';
import { useTestNamespace } from '../../support/kube.ts';
import { SlackEmulator } from '../../support/slack-emulator/index.ts';

const ns = useTestNamespace('selfcheck');
jest.setTimeout(60_000);

let emu: SlackEmulator;
const bots: TestBot[] = [];
let policyFile: string;

beforeAll(async () => {
  emu = await SlackEmulator.start({
    channels: [
      { id: 'C0OPS', name: 'ops', members: ['U0ALICE', 'U0BOT'] },
      { id: 'C0NOBOT', name: 'quiet', members: ['U0ALICE'] },
    ],
  });
  policyFile = join(ns.cluster.dir, `selfcheck-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(
    policyFile,
    `
roles:
  deployer: [{ verbs: [deploy, logs], namespaces: [${ns.name}] }]
bindings:
  - { role: deployer, users: [U0ALICE], channels: [C0OPS] }
alerts:
  routes:
    - { namespaces: [${ns.name}], channel: C0NOBOT }
`,
  );
});

afterAll(async () => {
  for (const bot of bots) await bot.stop();
  await emu?.stop();
});

/** A kubeconfig for a ServiceAccount that has no role at all. */
async function powerlessKubeconfig(): Promise<string> {
  await ns.core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'powerless' } } });
  const token = await ns.core.createNamespacedServiceAccountToken({
    name: 'powerless',
    namespace: ns.name,
    body: { spec: { expirationSeconds: 3600 } },
  });
  const file = join(ns.cluster.dir, `powerless-${randomBytes(3).toString('hex')}.kubeconfig`);
  await writeFile(
    file,
    (await readFile(ns.cluster.botKubeconfig, 'utf8')).replace(/token: \S+/u, `token: ${token.status?.token ?? ''}`),
  );
  return file;
}

describe('start-up self-check', () => {
  it("names what the bot's identity may not do where the policy allows it, and the channel it is not in", async () => {
    const bot = await startTestBot({
      emu,
      cluster: { ...ns.cluster, botKubeconfig: await powerlessKubeconfig() },
      policyFile,
      role: 'gateway',
    });
    bots.push(bot);
    await waitUntil(async () => bot.logs.some((l) => l.includes('self-check found')), {
      what: 'the self-check to finish',
      timeoutMs: 20_000,
    });
    const denied = bot.logs.find((l) => l.includes('may not do'));
    expect(denied).toContain(ns.name);
    expect(denied).toContain('patch deployments.apps');
    expect(denied).toContain('get pods/log');
    expect(bot.logs.find((l) => l.includes('alerts cannot be posted'))).toContain('C0NOBOT');
    expect(bot.logs.find((l) => l.includes('self-check found'))).toContain('2 problem(s)');
  });

  it('passes quietly for the real bot identity in channels it is in', async () => {
    const good = join(ns.cluster.dir, `selfcheck-good-${randomBytes(3).toString('hex')}.yaml`);
    await writeFile(good, (await readFile(policyFile, 'utf8')).replace('C0NOBOT', 'C0OPS'));
    const bot = await startTestBot({ emu, cluster: ns.cluster, policyFile: good, role: 'gateway' });
    bots.push(bot);
    await waitUntil(async () => bot.logs.some((l) => l.includes('self-check')), {
      what: 'the self-check to finish',
      timeoutMs: 20_000,
    });
    expect(bot.logs.filter((l) => l.includes('self-check'))).toEqual([expect.stringContaining('self-check passed')]);
  });
});
