// Benchmark: many `rollout status` jobs following slow rollouts at once. One
// Deployment per job (50 by default) in a fresh namespace, pods ready only after
// the kwok delay; every image is changed, then one `/k8s rollout status` per
// Deployment is sent. Gateway and workers run in this process; a worker takes 8
// jobs at once, so several worker roles share one queue to run all 50 together.
// Measured: CPU and peak RSS of this process (bot + emulator + driver), TCP
// connections from this process to the API server (sampled), open watches and
// the API server's request counts by verb (its /metrics, as admin) while the
// jobs wait — which must not grow if nothing polls.
// Usage: npm run bench:rollout-watch [-- --jobs 50 --delay 10 --workers 7]
import { randomBytes } from 'node:crypto';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { request } from 'node:https';
import type * as k8s from '@kubernetes/client-node';
import { startTestBot, type TestBot } from '../test/support/bot.ts';
import type { ClusterState } from '../test/support/cluster/cluster.ts';
import { SlackEmulator, type RecordedCall } from '../test/support/slack-emulator/index.ts';
import {
  benchDeployment,
  benchRedisUrl,
  createBenchNamespace,
  deleteBotKeys,
  describeMachine,
  numericOptions,
  runningCluster,
  sleep,
  type BenchNamespace,
} from './bench-kit.ts';

/** Request counts by verb and open watches, from kube-apiserver's /metrics. */
interface ApiCounts {
  readonly byVerb: Record<string, number>;
  readonly watches: number;
}

const watchedResources = new Set(['deployments', 'pods', 'replicasets', 'events']);

async function scrapeMetrics(admin: k8s.KubeConfig): Promise<string> {
  const server = new URL(admin.getCurrentCluster()?.server ?? '');
  const options: { headers?: Record<string, string>; ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  await admin.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = request(
      { ...options, hostname: server.hostname, port: server.port, path: '/metrics', method: 'GET', timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      },
    );
    req.on('timeout', () => req.destroy(new Error('metrics: timeout')));
    req.on('error', reject);
    req.end();
  });
}

function label(line: string, name: string): string {
  return new RegExp(`[{,]${name}="([^"]*)"`, 'u').exec(line)?.[1] ?? '';
}

/** Requests on deployments, pods, replicasets and events by verb, and open WATCHes on them. */
async function apiCounts(admin: k8s.KubeConfig): Promise<ApiCounts> {
  const byVerb: Record<string, number> = {};
  let watches = 0;
  for (const line of (await scrapeMetrics(admin)).split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!watchedResources.has(label(line, 'resource'))) continue;
    if (line.startsWith('apiserver_request_total{')) {
      const verb = label(line, 'verb');
      // Reads are what polling would show; name their resource.
      const key = verb === 'GET' || verb === 'LIST' ? `${verb} ${label(line, 'resource')}` : verb;
      byVerb[key] = (byVerb[key] ?? 0) + value;
    } else if (line.startsWith('apiserver_longrunning_requests{') && label(line, 'verb') === 'WATCH') {
      watches += value;
    }
  }
  return { byVerb, watches };
}

function diff(a: ApiCounts, b: ApiCounts): string {
  const verbs = [...new Set([...Object.keys(a.byVerb), ...Object.keys(b.byVerb)])].sort();
  return (
    verbs
      .map((v) => `${v} +${(b.byVerb[v] ?? 0) - (a.byVerb[v] ?? 0)}`)
      .filter((s) => !s.endsWith('+0'))
      .join(', ') || 'none'
  );
}

/** Established TCP connections from this process to `port` on the loopback (socket inodes of /proc/self/fd). */
async function connectionsTo(port: number): Promise<number> {
  const inodes = new Set<string>();
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/u.exec(target);
    if (m?.[1]) inodes.add(m[1]);
  }
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let count = 0;
  for (const file of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    const rows = (await readFile(file, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const row of rows) {
      const cols = row.trim().split(/\s+/u);
      if (cols[2]?.endsWith(hexPort) && cols[3] === '01' && inodes.has(cols[9] ?? '')) count += 1;
    }
  }
  return count;
}

/** Samples connections and RSS every 250 ms until stopped (at most 10 min). */
function startSampler(apiPort: number): { stop: () => Promise<{ connections: number[]; peakRssMiB: number }> } {
  const connections: number[] = [];
  let peakRss = 0;
  let stopped = false;
  const loop = (async () => {
    const deadline = Date.now() + 600_000;
    while (!stopped && Date.now() < deadline) {
      connections.push(await connectionsTo(apiPort));
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      await sleep(250);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return { connections, peakRssMiB: Math.round(peakRss / 2 ** 20) };
    },
  };
}

const text = (c: RecordedCall): string => (typeof c.params['text'] === 'string' ? c.params['text'] : '');

/** Waits until `count` thread roots of `marker` commands have an edit matching `done`; bounded by timeoutMs. */
async function waitForEdits(emu: SlackEmulator, count: number, done: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const roots = new Set(
      emu
        .callsTo('chat.postMessage')
        .filter((c) => text(c).includes('rollout status of'))
        .map((c) => String(c.result['ts'])),
    );
    const edited = new Set(
      emu
        .callsTo('chat.update')
        .filter((c) => roots.has(String(c.params['ts'])) && done.test(text(c)))
        .map((c) => String(c.params['ts'])),
    );
    if (edited.size >= count) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} roots to match ${done}`);
}

async function prepare(ns: BenchNamespace, jobs: number, delaySec: number): Promise<void> {
  const podAnnotations = { 'pod-ready.stage.kwok.x-k8s.io/delay': `${delaySec}s` };
  await Promise.all(
    Array.from({ length: jobs }, (_, i) =>
      ns.apps.createNamespacedDeployment({
        namespace: ns.name,
        body: benchDeployment(`d${i}`, { replicas: 1, podAnnotations }),
      }),
    ),
  );
  const deadline = Date.now() + 60_000 + delaySec * 1000;
  while (Date.now() < deadline) {
    const list = await ns.apps.listNamespacedDeployment({ namespace: ns.name });
    if (list.items.filter((d) => d.status?.availableReplicas === 1).length === jobs) return;
    await sleep(500);
  }
  throw new Error('the deployments did not become available in time');
}

async function startBots(
  emu: SlackEmulator,
  cluster: ClusterState,
  workers: number,
): Promise<{ bots: TestBot[]; queue: string }> {
  const queue = `rw-${randomBytes(4).toString('hex')}`;
  const env = { COXSWAIN_CLUSTER: queue };
  const bots = [await startTestBot({ emu, cluster, env })];
  for (let i = 1; i < workers; i++) bots.push(await startTestBot({ emu, cluster, env, role: 'worker' }));
  return { bots, queue };
}

const options = numericOptions({ jobs: 50, delay: 10, workers: 7 });
const machine = describeMachine();
const cluster = await runningCluster();
const apiPort = Number(new URL(cluster.apiServerUrl).port);
const ns = await createBenchNamespace(cluster, 'bench-rw');
// 50 roots and their edits in one channel within seconds: a load test, not a usage pattern.
const emu = await SlackEmulator.start({ allowWarnings: ['channel_rate'] });
const { bots, queue } = await startBots(emu, cluster, options.workers);
try {
  await prepare(ns, options.jobs, options.delay);
  const slack = emu.driver(bots[0]?.eventsUrl ?? '');
  // The same window with nothing to follow: what the controllers and kwok do on their own.
  const idleMs = Math.max(1000, options.delay * 1000 - 4000);
  const idle0 = await apiCounts(ns.admin);
  await sleep(idleMs);
  const idle1 = await apiCounts(ns.admin);
  const sampler = startSampler(apiPort);
  const m0 = await apiCounts(ns.admin);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const image = [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'ghcr.io/acme/next:2.0' }];
  await Promise.all(
    Array.from({ length: options.jobs }, (_, i) =>
      ns.apps.patchNamespacedDeployment({ name: `d${i}`, namespace: ns.name, body: image }),
    ),
  );
  await Promise.all(
    Array.from({ length: options.jobs }, (_, i) =>
      slack.slashCommand('/k8s', `rollout status d${i} -n ${ns.name}`, { user: 'U0ALICE', channel: 'C0OPS' }),
    ),
  );
  await waitForEdits(emu, options.jobs, /running|updated/u, 30_000);
  const t1 = Date.now();
  const [m1, cpu1] = [await apiCounts(ns.admin), process.cpuUsage()];
  await sleep(Math.max(0, t1 + idleMs - Date.now()));
  const [m2, cpu2, t2] = [await apiCounts(ns.admin), process.cpuUsage(cpu1), Date.now()];
  await waitForEdits(emu, options.jobs, /[✅❌]/u, 60_000 + options.delay * 2000);
  const t3 = Date.now();
  const m3 = await apiCounts(ns.admin);
  const cpu = process.cpuUsage(cpu0);
  const { connections, peakRssMiB } = await sampler.stop();
  const ok = emu
    .callsTo('chat.update')
    .filter((c) => text(c).startsWith('✅') && text(c).includes('rollout status of')).length;
  const ms = (u: NodeJS.CpuUsage): number => Math.round((u.user + u.system) / 1000);
  console.log(
    `rollout watch: ${options.jobs} rollout status jobs, one Deployment each, pods ready after ${options.delay} s; gateway + ${options.workers} worker roles (8 jobs each) in one process — ${machine}`,
  );
  console.log(
    `  all following ${((t1 - t0) / 1000).toFixed(1)} s after the patches; all done after ${((t3 - t0) / 1000).toFixed(1)} s; ✅ ${ok}/${options.jobs}`,
  );
  console.log(
    `  CPU of this process (bot + emulator + driver): ${ms(cpu)} ms over ${((t3 - t0) / 1000).toFixed(1)} s; while all waited: ${ms(cpu2)} ms over ${((t2 - t1) / 1000).toFixed(1)} s`,
  );
  console.log(
    `  peak RSS ${peakRssMiB} MiB (process lifetime max ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB)`,
  );
  console.log(
    `  TCP connections to the API server from this process: first ${connections[0]}, max ${Math.max(...connections)}, last ${connections.at(-1)} (${connections.length} samples)`,
  );
  console.log(
    `  open WATCHes on deployments/pods/replicasets/events (whole API server): before ${m0.watches}, while waiting ${m2.watches}, after ${m3.watches}`,
  );
  console.log(
    `  API requests (whole API server), idle cluster for ${(idleMs / 1000).toFixed(1)} s before: ${diff(idle0, idle1)}`,
  );
  console.log(`  API requests, starting: ${diff(m0, m1)}`);
  console.log(`  API requests while all ${options.jobs} waited ${((t2 - t1) / 1000).toFixed(1)} s: ${diff(m1, m2)}`);
  console.log(`  API requests to completion: ${diff(m2, m3)}`);
} finally {
  for (const bot of bots.reverse()) await bot.stop();
  await emu.stop();
  await ns.delete();
  await deleteBotKeys(benchRedisUrl, queue);
}
