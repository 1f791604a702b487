// Benchmark: what the one-process install (coxswain start --role all, as deploy/base runs it) costs while alerts
// flow, the case issue 20 measured against kubewatch and kubernetes-event-exporter: 10 crash-looping Deployments
// created 3 s apart, against an emulator enforcing Slack's rate limits.
//   CPU:      CPU-seconds of the bot's process over the window (150 s from the first Deployment), from /proc.
//   memory:   its RSS idle (synced, no failing pods, median of the last 5 s of --idle-s) and at the end of the
//             window (median of its last 5 s), and its peak (VmHWM).
//   alerts:   per Deployment, from its first pod's CrashLoopBackOff (this process's watch) to its first post; the
//             messages per Deployment within 120 s of that post (the post and its edits); 429s.
// Usage: npm run bench:lean [-- --runs 3 --deployments 10 --replicas 1 --apart-s 3 --window-s 150 --idle-s 30
//          --cluster-dir DIR --keep-cluster --cpu-prof DIR --node-flags "FLAGS" --source compiled|ts]
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { SlackEmulator, type RecordedCall } from '../test/support/slack-emulator/index.ts';
import { callText } from '../test/support/slack-flow.ts';
import {
  benchCluster,
  deleteNamespaceNow,
  forgetBot,
  ensureNamespace,
  roleOptions,
  sampleRss,
  spawnRole,
  watchCrashes,
  writeBenchPolicy,
  type BenchCluster,
} from './alerts-kit.ts';
import { benchDeployment, cpuOf, cpuSeconds, describeLatencies, quantile, sleep } from './bench-kit.ts';
import { loadavg, parseBenchOptions, roleScriptFor, runSetupUsage, shippedNodeFlags } from './bench-run.ts';

const usage = `npm run bench:lean [-- --runs 3 --deployments 10 --replicas 1 --apart-s 3 --window-s 150 --idle-s 30 --cpu-prof DIR --node-flags "FLAGS" ${runSetupUsage}]`;
const { num, str, flag } = parseBenchOptions(
  usage,
  {
    runs: { default: 3, min: 1, integer: true },
    deployments: { default: 10, min: 1, integer: true },
    replicas: { default: 1, min: 1, integer: true },
    'apart-s': { default: 3, min: 0 },
    'window-s': { default: 150, min: 10 },
    'idle-s': { default: 30, min: 5 },
  },
  ['cluster-dir', 'source', 'cpu-prof', 'node-flags'],
  ['keep-cluster'],
);
const roleScript = roleScriptFor(usage, str.source);
// The Node flags deploy/base ships (its Deployment's command:) unless --node-flags says otherwise (`--node-flags=` for
// none).
const nodeArgs =
  str['node-flags'] === undefined ? shippedNodeFlags('all') : str['node-flags'].split(' ').filter(Boolean);
// The window's profile is taken inside the bot's process (role-process.ts, on SIGHUP), so start-up is not in it.
const profileDir = str['cpu-prof'];
if (profileDir) process.env['BENCH_PROFILE_DIR'] = profileDir;
const channel = 'C0LEAN';
const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** CPU-seconds per thread name (main, V8 workers, libuv pool…), user and system apart, for where the time goes. */
function threadCpu(pid: number): Map<string, { user: number; system: number }> {
  const byName = new Map<string, { user: number; system: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const read = (): { comm: string; cpu: { user: number; system: number } } | undefined => {
      try {
        const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        return { comm, cpu: cpuOf(`/proc/${pid}/task/${tid}/stat`) };
      } catch {
        return undefined; // the thread ended
      }
    };
    const thread = read();
    if (!thread) continue;
    const { comm, cpu } = thread;
    const was = byName.get(comm) ?? { user: 0, system: 0 };
    byName.set(comm, { user: was.user + cpu.user, system: was.system + cpu.system });
  }
  return byName;
}

/** What each thread name used between two readings, largest first. */
function threadDelta(
  before: Map<string, { user: number; system: number }>,
  after: Map<string, { user: number; system: number }>,
): string {
  return [...after]
    .map(([name, a]) => {
      const b = before.get(name) ?? { user: 0, system: 0 };
      return { name, user: a.user - b.user, system: a.system - b.system };
    })
    .filter((d) => d.user + d.system > 0)
    .sort((x, y) => y.user + y.system - (x.user + x.system))
    .map((d) => `${d.name} ${d.user.toFixed(2)}+${d.system.toFixed(2)}`)
    .join(', ');
}

/** The median of the samples in the last `ms` before `end`. */
function settled(samples: readonly { t: number; rss: number }[], end: number, ms = 5000): number {
  return median(samples.filter((s) => s.t > end - ms && s.t <= end).map((s) => s.rss));
}

interface LeanRun {
  readonly load: string;
  readonly cpuS: number;
  /** Per thread name, user+system seconds over the window. */
  readonly threads: string;
  readonly idleCpuS: number;
  readonly idleRss: number;
  readonly endRss: number;
  readonly peakRss: number;
  readonly firstPost: number[];
  readonly perDeployment: number[];
  readonly status429: number;
  readonly missed: number;
}

const isAlertPost = (call: RecordedCall): boolean =>
  call.method === 'chat.postMessage' &&
  call.status === 200 &&
  call.params['channel'] === channel &&
  call.params['thread_ts'] === undefined;

async function leanRun(c: BenchCluster, policyFile: string): Promise<LeanRun> {
  const load = loadavg();
  const emu = await SlackEmulator.start({
    rateLimits: true,
    allowWarnings: ['channel_rate'],
    channels: [
      { id: channel, name: 'lean', members: ['U0BOT'] },
      { id: 'C0OPS', name: 'ops', members: ['U0BOT', 'U0ALICE'] },
    ],
  });
  const name = `lean-${randomBytes(4).toString('hex')}`;
  // As shipped: the default Lease (15 s, renewed every 5 s), not the other benchmarks' quick 3 s hand-over.
  const bot = await spawnRole(
    { ...roleOptions('all', emu, c.state, { cluster: name, policyFile }), env: { COXSWAIN_LEADER_LEASE: '15s' } },
    nodeArgs,
    roleScript,
  );
  const rss = sampleRss(bot.pid, 500);
  const namespace = `lean-${randomBytes(3).toString('hex')}`;
  const names = Array.from({ length: num.deployments }, (_, i) => `crash-${i}`);
  try {
    await bot.waitFor((e) => e.event === 'watching', 300_000);
    await ensureNamespace(c.core, namespace, c.admin);
    const crashes = await watchCrashes(c.admin, namespace);
    const idleFrom = cpuSeconds(bot.pid);
    await sleep(num['idle-s'] * 1000);
    const idleRss = settled(rss.samples, Date.now());
    const idleCpuS = cpuSeconds(bot.pid) - idleFrom;

    const t0 = performance.now();
    if (profileDir) {
      process.kill(bot.pid, 'SIGHUP');
      await bot.waitFor((e) => e.event === 'profiling', 10_000);
    }
    const cpu0 = cpuSeconds(bot.pid);
    const threads0 = threadCpu(bot.pid);
    const creating = (async () => {
      for (const [i, n] of names.entries()) {
        await sleep(Math.max(0, t0 + i * num['apart-s'] * 1000 - performance.now()));
        await c.apps.createNamespacedDeployment({
          namespace,
          body: benchDeployment(n, { replicas: num.replicas, crashLoop: true }),
        });
      }
    })();
    await sleep(num['window-s'] * 1000);
    const cpuS = cpuSeconds(bot.pid) - cpu0;
    const threads = threadDelta(threads0, threadCpu(bot.pid));
    if (profileDir) {
      const since = bot.events.length;
      process.kill(bot.pid, 'SIGHUP');
      const written = await bot.waitFor((e) => e.event === 'profiled' && bot.events.indexOf(e) >= since, 30_000);
      console.log(`  window profile: ${String(written['file'])}`);
    }
    const end = Date.now();
    await creating;
    crashes.stop();

    const offset = Date.now() - performance.now(); // emulator call times are wall clock, the watch's performance.now()
    const firstPost: number[] = [];
    const perDeployment: number[] = [];
    let missed = 0;
    for (const n of names) {
      const post = emu.calls.find((call) => isAlertPost(call) && callText(call).includes(` Deployment ${n} in `));
      const crashed = Math.min(...[...crashes.firstCrash].filter(([pod]) => pod.startsWith(`${n}-`)).map(([, t]) => t));
      if (!post || !Number.isFinite(crashed)) {
        missed++;
        continue;
      }
      firstPost.push(post.time - (crashed + offset));
      const ts = post.result['ts'];
      perDeployment.push(
        emu.calls.filter(
          (call) =>
            call.status === 200 &&
            (call === post || (call.method === 'chat.update' && call.params['ts'] === ts)) &&
            call.time - post.time <= 120_000,
        ).length,
      );
    }
    return {
      load,
      cpuS,
      threads,
      idleCpuS,
      idleRss,
      endRss: settled(rss.samples, end),
      peakRss: rss.hwm(),
      firstPost,
      perDeployment,
      status429: emu.calls.filter((call) => call.status === 429).length,
      missed,
    };
  } finally {
    rss.stop();
    await bot.stop();
    await emu.stop();
    await forgetBot(c, name);
    await deleteNamespaceNow(c, namespace);
  }
}

const c = await benchCluster({
  ...(str['cluster-dir'] ? { dir: str['cluster-dir'] } : {}),
  keep: flag['keep-cluster'],
});
try {
  console.log(
    `lean benchmark: one process, all roles; ${num.deployments} crash-looping Deployments × ${num.replicas} created ${num['apart-s']} s apart, ${num['window-s']} s window, ${num.runs} runs — node ${process.version}, ${roleScript ? 'compiled' : 'TypeScript'}, flags: ${nodeArgs.join(' ') || 'none'}${profileDir ? ' (profiling the window)' : ''}, load ${loadavg()}`,
  );
  const policyFile = await writeBenchPolicy(c.state.dir, [{ prefix: 'lean-', channel }]);
  const done: LeanRun[] = [];
  for (let r = 1; r <= num.runs; r++) {
    const run = await leanRun(c, policyFile);
    done.push(run);
    console.log(
      `run ${r} (load before ${run.load}): CPU ${run.cpuS.toFixed(2)} s per ${num['window-s']} s (idle ${run.idleCpuS.toFixed(2)} s per ${num['idle-s']} s); RSS idle ${run.idleRss.toFixed(0)} → end ${run.endRss.toFixed(0)} MiB, peak ${run.peakRss.toFixed(0)} MiB`,
    );
    console.log(`  CPU by thread (user+system s): ${run.threads}`);
    console.log(
      `  first post after CrashLoopBackOff ${describeLatencies(run.firstPost)}; messages per Deployment in 120 s: ${run.perDeployment.join(' ')}; 429s ${run.status429}; missed ${run.missed}`,
    );
  }
  const cpu = median(done.map((d) => d.cpuS));
  const idle = median(done.map((d) => d.idleRss));
  const end = median(done.map((d) => d.endRss));
  console.log(
    `lean: medians — CPU ${cpu.toFixed(2)} s per ${num['window-s']} s (target ≤ 3: ${cpu <= 3 ? 'met' : 'MISSED'}); RSS idle ${idle.toFixed(0)} MiB (target ≤ 150: ${idle <= 150 ? 'met' : 'MISSED'}), end ${end.toFixed(0)} MiB (target ≤ 200: ${end <= 200 ? 'met' : 'MISSED'}); first post p50 ${median(done.map((d) => median(d.firstPost))).toFixed(0)} ms, max ${Math.max(...done.flatMap((d) => d.firstPost)).toFixed(0)} ms; 429s ${done.reduce((a, d) => a + d.status429, 0)}`,
  );
} finally {
  await c.close();
}
