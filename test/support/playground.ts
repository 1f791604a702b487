// Try Coxswain with no Slack workspace: the real bot (gateway + worker) runs
// against the Slack emulator and the local test cluster, and you type what you
// would type in Slack. `npm run playground` for a prompt; `npm run playground --
// "get pods -n playground"` runs commands and exits.
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { blocksToText } from '../../src/views/blocks-to-text.ts';
import { startTestBot } from './bot.ts';
import { clusterDir, isClusterHealthy, readClusterState, startCluster, stopCluster, type ClusterState } from './cluster/cluster.ts';
import { loadKubeConfig, makeDeployment } from './kube-objects.ts';
import { SlackEmulator, type RecordedCall, type SlackDriver } from './slack-emulator/index.ts';

const namespace = 'playground';
const channel = 'C0OPS';

async function ensureCluster(): Promise<{ state: ClusterState; started: boolean }> {
  const current = await readClusterState();
  if (current && (await isClusterHealthy(current))) return { state: current, started: false };
  console.log('starting the test cluster (the first time builds it: about 9 minutes)…');
  return { state: await startCluster(), started: true };
}

async function seed(state: ClusterState): Promise<void> {
  const admin = loadKubeConfig(state.adminKubeconfig);
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const apps = admin.makeApiClient(k8s.AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(() => undefined);
  const slow = { 'pod-ready.stage.kwok.x-k8s.io/delay': '1s' };
  for (const body of [makeDeployment('web', 'ghcr.io/acme/web:1.0', { replicas: 3, podAnnotations: slow }), makeDeployment('api', 'ghcr.io/acme/api:2.3', { replicas: 2 })]) {
    await apps.createNamespacedDeployment({ namespace, body }).catch(() => undefined);
  }
}

function describeCall(call: RecordedCall): string | undefined {
  const p = call.params;
  const body = blocksToText({ text: typeof p['text'] === 'string' ? p['text'] : '', blocks: Array.isArray(p['blocks']) ? p['blocks'] : [] });
  const indent = (s: string, prefix: string): string => s.split('\n').map((l) => `${prefix}${l}`).join('\n');
  if (call.method === 'chat.postMessage' && typeof p['thread_ts'] === 'string') return indent(body, '    ↳ ');
  if (call.method === 'chat.postMessage') return indent(body, '#ops  ');
  if (call.method === 'chat.update') return indent(body, '#ops (edited)  ');
  return undefined;
}

function follow(emu: SlackEmulator): () => void {
  let seen = emu.calls.length;
  const timer = setInterval(() => {
    for (const call of emu.calls.slice(seen)) {
      const line = call.result.ok ? describeCall(call) : `(Slack refused ${call.method}: ${String(call.result['error'])})`;
      if (line) console.log(line);
    }
    seen = emu.calls.length;
  }, 100);
  return () => clearInterval(timer);
}

/** Sends a line as `user`; true when the bot answered at once (ephemerally), false when it went on to post. */
async function send(slack: SlackDriver, user: string, line: string): Promise<boolean> {
  const text = line.replace(/^\/k8s\s*/, '');
  const answer = await slack.slashCommand('/k8s', text, { user, channel });
  if (answer.status !== 200) console.log(`(the bot answered HTTP ${answer.status} ${answer.error ?? ''})`);
  if (answer.ack) console.log(blocksToText(answer.ack).split('\n').map((l) => `(only you)  ${l}`).join('\n'));
  return answer.ack !== undefined || answer.status !== 200;
}

async function settle(emu: SlackEmulator, since: number): Promise<void> {
  // The gateway acks first and posts the thread root (or an approval card, or a refusal) right after.
  const first = await emu.waitFor((c) => (c.method === 'chat.postMessage' && c.params['thread_ts'] === undefined) || c.method === 'response_url', { since, timeoutMs: 10_000 });
  if (first.method !== 'chat.postMessage') return;
  const ts = first.result['ts'];
  // A job ends ✅/❌; an approval card waits for votes once it shows its buttons.
  const ended = (c: RecordedCall): boolean => /^[✅❌]/u.test(String(c.params['text'])) || JSON.stringify(c.params['blocks'] ?? '').includes('approval_approve');
  await emu.waitFor((c) => c.method === 'chat.update' && c.params['ts'] === ts && ended(c), { since, timeoutMs: 15 * 60_000 });
  await new Promise((r) => setTimeout(r, 300));
}

async function prompt(emu: SlackEmulator, slack: SlackDriver): Promise<void> {
  let user = 'U0ALICE';
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  console.log(`You are ${user} in #ops. Type /k8s commands (e.g. "deploy web ghcr.io/acme/web:1.1 -n ${namespace}"), ":as U0BOB" to switch user, ":quit" to leave.`);
  for (;;) {
    const line = (await rl.question('> ').catch(() => ':quit')).trim();
    if (line === ':quit') break;
    if (line.startsWith(':as ')) { user = line.slice(4).trim(); continue; }
    if (line) await send(slack, user, line);
  }
  rl.close();
  void emu;
}

async function main(commands: readonly string[]): Promise<void> {
  const { state, started } = await ensureCluster();
  await seed(state);
  const emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
  const bot = await startTestBot({ emu, cluster: state, policyFile: fileURLToPath(new URL('./policies/playground.yaml', import.meta.url)) });
  const slack = emu.driver(bot.eventsUrl);
  const stopFollowing = follow(emu);
  try {
    if (commands.length === 0) await prompt(emu, slack);
    for (const command of commands) {
      console.log(`> /k8s ${command}`);
      const since = emu.calls.length;
      if (!(await send(slack, 'U0ALICE', command))) await settle(emu, since);
    }
  } finally {
    stopFollowing();
    await bot.stop();
    await emu.stop();
    if (started && process.env['COXSWAIN_KEEP_CLUSTER'] !== '1') await stopCluster(clusterDir(), { purge: true });
  }
}

main(process.argv.slice(2)).then(() => process.exit(0), (error: unknown) => {
  console.error(`playground: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
