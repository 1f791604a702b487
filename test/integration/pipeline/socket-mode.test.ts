// The same /k8s flow as deploy.test.ts, but with SLACK_APP_TOKEN set: the real gateway runs Bolt's
// SocketModeReceiver, opens its connection through the emulator's apps.connections.open, and gets the commands as
// Socket Mode envelopes; the worker still acts on the test cluster and reports in the thread.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import { SlackEmulator, type SocketDriver } from '../../support/slack-emulator/index.ts';
import type { RecordedCall } from '../../support/slack-emulator/index.ts';

const ns = useTestNamespace('socket');
let emu: SlackEmulator;
let bot: TestBot;
let slack: SocketDriver;

beforeAll(async () => {
  // Root post and result reply land within a second of each other; Slack allows such bursts.
  emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
  bot = await startTestBot({ emu, cluster: ns.cluster, socketMode: true });
  slack = emu.socketDriver();
  await ns.apps.createNamespacedDeployment({
    namespace: ns.name,
    body: makeDeployment('web', 'ghcr.io/acme/web:1.0', { replicas: 2 }),
  });
});

afterAll(async () => {
  await bot?.stop();
  await emu?.stop();
});

const text = (call: RecordedCall): string => {
  const value = call.params['text'];
  return typeof value === 'string' ? value : '';
};

/** The thread root the gateway posted for a command, and the final edit of it. */
async function finished(marker: string): Promise<{ root: RecordedCall; final: RecordedCall }> {
  const root = await emu.waitFor(
    (c) => c.method === 'chat.postMessage' && c.params['thread_ts'] === undefined && text(c).includes(marker),
  );
  const ts = String(root.result['ts']);
  const final = await emu.waitFor(
    (c) => c.method === 'chat.update' && c.params['ts'] === ts && /[✅❌]/u.test(text(c)),
    { timeoutMs: 60_000 },
  );
  return { root, final };
}

jest.setTimeout(90_000);

describe('/k8s over Socket Mode', () => {
  it('connected with the app-level token and was greeted', () => {
    const opens = emu.callsTo('apps.connections.open');
    expect(opens.length).toBeGreaterThanOrEqual(1);
    expect(opens.every((c) => c.token === emu.appToken && c.result.ok)).toBe(true);
    expect(emu.socket.openConnections).toBe(1);
  });

  it('serves its health routes on the port it reports (PORT=0 binds a free one)', async () => {
    expect(bot.port).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${bot.port}/readyz`);
    expect(res.status).toBe(200);
  });

  it('acks a deploy envelope at once, posts the queued root, rolls the image out and ends ✅ in the thread', async () => {
    const ack = await slack.slashCommand('/k8s', `deploy web ghcr.io/acme/web:1.1 -n ${ns.name}`, {
      user: 'U0ALICE',
      channel: 'C0OPS',
    });
    expect(ack).toMatchObject({ acked: true, type: 'slash_commands' });
    expect(ack.ms).toBeLessThan(3000);
    expect(ack.ack).toBeUndefined();
    const { root, final } = await finished(`deploy web to ghcr.io/acme/web:1.1 in ${ns.name}`);
    expect(text(root)).toBe(`<@U0ALICE> → deploy web to ghcr.io/acme/web:1.1 in ${ns.name} · queued`);
    expect(text(final)).toMatch(/^✅ <@U0ALICE> → deploy web to ghcr\.io\/acme\/web:1\.1 in .* · done in /u);
    const thread = emu
      .thread('C0OPS', String(root.result['ts']))
      .slice(1)
      .map((m) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`)
      .join('\n');
    expect(thread).toContain('ghcr.io/acme/web:1.0 → ghcr.io/acme/web:1.1');

    const d = await ns.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/acme/web:1.1');
  });

  it('acks an invalid command with an ephemeral error and the usage line, and queues nothing', async () => {
    const before = emu.callsTo('chat.postMessage').length;
    const ack = await slack.slashCommand('/k8s', `deploy web ghcr.io/Acme/web:1.1 -n ${ns.name}`, {
      user: 'U0ALICE',
      channel: 'C0OPS',
    });
    expect(ack.acked).toBe(true);
    expect(ack.ack?.visibility).toBe('ephemeral');
    expect(ack.ack?.text).toContain('not an image reference');
    expect(JSON.stringify(ack.ack?.blocks)).toContain('deploy &lt;deployment&gt; &lt;image&gt;');
    expect(ack.ack?.errors).toEqual([]);
    expect(emu.ephemerals('U0ALICE').at(-1)?.via).toBe('ack');
    expect(emu.callsTo('chat.postMessage').length).toBe(before);
  });

  it('answers help in the ack', async () => {
    const ack = await slack.slashCommand('/k8s', 'help', { user: 'U0BOB', channel: 'C0OPS' });
    expect(ack.acked).toBe(true);
    expect(ack.ms).toBeLessThan(3000);
    expect(ack.ack?.visibility).toBe('ephemeral');
    expect(`${ack.ack?.text ?? ''}\n${JSON.stringify(ack.ack?.blocks ?? [])}`).toContain('rollout undo');
  });

  it('comes back after Slack asks for a refresh and still takes commands', async () => {
    const opened = emu.socket.connectionsOpened;
    await emu.socket.disconnect('refresh_requested');
    // Bolt's client waits clientPingTimeout (5 s) × failures before reconnecting, longer than Slack's 3 s budget.
    await emu.socket.waitForConnections(opened + 1, 15_000);
    const ack = await slack.slashCommand('/k8s', 'help scale', { user: 'U0BOB', channel: 'C0OPS' });
    expect(ack.acked).toBe(true);
    expect(JSON.stringify(ack.ack)).toContain('--force');
  });

  it('writes no secret to its logs and leaves no Block Kit warnings', () => {
    const all = bot.logs.join('\n');
    expect(all).not.toContain(emu.botToken);
    expect(all).not.toContain(emu.appToken);
    expect(emu.blockKitWarnings).toEqual([]);
  });
});
