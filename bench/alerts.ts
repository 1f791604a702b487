// Benchmark: failed-pod alerts against the real bot. The watcher role runs in a
// child process of its own (its RSS is its own), the worker role in another; the
// Slack emulator, the benchmark's own pod watch and the driver are in this
// process. Everything runs on a private test cluster (started here, stopped and
// purged at the end), so 10,000 pods never load the shared one.
//   latency: N healthy pods in the watcher's cache; then, one at a time, a bare
//            pod that crash-loops; from its CrashLoopBackOff status reaching this
//            process's own watch to its alert's chat.postMessage reaching the emulator.
//   memory:  the watcher's RSS (from /proc, every 500 ms) during and after its
//            initial list of 10,000 pods, and with 0 pods; the list time.
//   storm:   W Deployments × R replicas created crash-looping at once, one channel:
//            posts, edits, 429s and rate warnings, time until every workload has its alert.
//   mixed:   new alerts among edits, against an emulator that enforces Slack's rate limits: 20 Deployments
//            already failing and being edited in one channel, then new crash-looping workloads one at a time and
//            a burst of 10 within 30 s; from each one's CrashLoopBackOff to its first post, and the 429s.
// Usage: npm run bench:alerts [-- --phase latency|memory|storm|mixed|all --runs 3
//          --latency-pods 5000 --samples 30 --gap-ms 1500 --memory-pods 10000 --settle-s 15
//          --storm-workloads 10 --storm-replicas 50 --observe-s 60
//          --mixed-background 20 --mixed-singles 20 --mixed-single-gap-ms 3000 --mixed-burst 10 --mixed-burst-s 30
//          --cluster-dir DIR (reuse a kept cluster) --keep-cluster --cpu-prof DIR (profile the watcher)
//          --watcher-flags "NODE FLAGS" (the watcher's Node flags instead of the shipped ones; "" for none)
//          --dump DIR (each storm's channel calls as JSON)
//          --source compiled|ts (role processes run the compiled sources, as the image does; default compiled)]
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SlackEmulator, type RecordedCall } from '../test/support/slack-emulator/index.ts';
import { callText } from '../test/support/slack-flow.ts';
import {
  barePod,
  benchCluster,
  countPods,
  deleteNamespaceNow,
  forgetBot,
  ensureHealthyPods,
  ensureNamespace,
  meanPodBytes,
  roleOptions,
  sampleRss,
  compileForBench,
  spawnRole,
  watchCrashes,
  writeBenchPolicy,
  type BenchCluster,
  type RoleChild,
} from './alerts-kit.ts';
import { benchDeployment, describeLatencies, quantile, sleep } from './bench-kit.ts';

const { values: argv } = parseArgs({
  options: {
    phase: { type: 'string', default: 'all' },
    runs: { type: 'string', default: '3' },
    'latency-pods': { type: 'string', default: '5000' },
    samples: { type: 'string', default: '30' },
    'gap-ms': { type: 'string', default: '1500' },
    'memory-pods': { type: 'string', default: '10000' },
    'settle-s': { type: 'string', default: '15' },
    'storm-workloads': { type: 'string', default: '10' },
    'storm-replicas': { type: 'string', default: '50' },
    'observe-s': { type: 'string', default: '60' },
    'mixed-background': { type: 'string', default: '20' },
    'mixed-singles': { type: 'string', default: '20' },
    'mixed-single-gap-ms': { type: 'string', default: '3000' },
    'mixed-burst': { type: 'string', default: '10' },
    'mixed-burst-s': { type: 'string', default: '30' },
    'cluster-dir': { type: 'string' },
    'keep-cluster': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'watcher-flags': { type: 'string' },
    dump: { type: 'string' },
    source: { type: 'string', default: 'compiled' },
  },
  strict: true,
});
const num = (name: keyof typeof argv): number => {
  const n = Number(argv[name]);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0, not ${String(argv[name])}`);
  return n;
};
const phase = argv.phase ?? 'all';
if (!['latency', 'memory', 'storm', 'mixed', 'all'].includes(phase))
  throw new Error(`--phase must be latency, memory, storm, mixed or all, not ${phase}`);
const runs = num('runs');
const latencyChannel = 'C0ALERTS';
const stormChannel = 'C0STORM';
const mixedChannel = 'C0MIXED';
if (!['compiled', 'ts'].includes(argv.source ?? ''))
  throw new Error(`--source must be compiled or ts, not ${String(argv.source)}`);
// The role processes run what the image ships (compiled JavaScript) unless --source ts (Node's type stripping, ~17 MiB
// more each).
const roleScript = argv.source === 'ts' ? undefined : compileForBench();
// The watcher's Node flags: those its Deployment ships with, unless --watcher-flags replaces them (e.g. "" or
// --max-semi-space-size=2).
const watcherArgs = [
  ...(argv['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${argv['cpu-prof']}`] : []),
  ...(argv['watcher-flags'] === undefined ? shippedWatcherFlags() : argv['watcher-flags'].split(' ').filter(Boolean)),
];

/** The Node flags the shipped watcher runs with: its Deployment's command, between the node binary and the script. */
function shippedWatcherFlags(): string[] {
  const manifest = readFileSync(new URL('../deploy/overlays/split/watcher.yaml', import.meta.url), 'utf8');
  const command =
    /^\s*command: \[(.*)\]$/mu
      .exec(manifest)?.[1]
      ?.split(',')
      .map((part) => part.trim()) ?? [];
  return command.slice(1, -1);
}

const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: readonly number[]): number => quantile(xs, 0.5);
const mib = (x: number): string => `${x.toFixed(0)} MiB`;

/**
 * The bot under test for one run: a fresh cluster name (so fresh Redis keys and Lease), watcher and worker processes.
 */
interface Bot {
  readonly name: string;
  readonly emu: SlackEmulator;
  readonly watcher: RoleChild;
  readonly worker?: RoleChild;
  /** Stops everything; the CPU each role process used over its life (ms). */
  stop(): Promise<{ watcherCpuMs: number; workerCpuMs: number }>;
}

async function startBot(
  c: BenchCluster,
  policyFile: string,
  withWorker: boolean,
  emulator: { rateLimits?: boolean } = {},
): Promise<Bot> {
  const emu = await SlackEmulator.start({
    ...emulator,
    ...(emulator.rateLimits ? { allowWarnings: ['channel_rate'] } : {}),
    channels: [
      { id: latencyChannel, name: 'alerts', members: ['U0BOT'] },
      { id: stormChannel, name: 'storm', members: ['U0BOT'] },
      { id: mixedChannel, name: 'mixed', members: ['U0BOT'] },
      { id: 'C0OPS', name: 'ops', members: ['U0BOT', 'U0ALICE'] },
    ],
  });
  const name = `ab-${randomBytes(4).toString('hex')}`;
  const worker = withWorker
    ? await spawnRole(roleOptions('worker', emu, c.state, { cluster: name, policyFile }), [], roleScript)
    : undefined;
  const watcher = await spawnRole(
    roleOptions('watcher', emu, c.state, { cluster: name, policyFile }),
    watcherArgs,
    roleScript,
  );
  return {
    name,
    emu,
    watcher,
    ...(worker ? { worker } : {}),
    stop: async () => {
      const w = await watcher.stop();
      const k = await worker?.stop();
      await emu.stop();
      await forgetBot(c, name);
      return { watcherCpuMs: Number(w?.['cpuMs'] ?? Number.NaN), workerCpuMs: Number(k?.['cpuMs'] ?? Number.NaN) };
    },
  };
}

const isLead = (e: { event: string; message?: unknown }): boolean =>
  e.event === 'log' && String(e.message).startsWith('watching pods for failures');
const isAlertPost = (call: RecordedCall, channel: string): boolean =>
  call.method === 'chat.postMessage' &&
  call.status === 200 &&
  call.params['channel'] === channel &&
  call.params['thread_ts'] === undefined;

// ───────────── latency ─────────────

interface LatencyRun {
  readonly load: string;
  readonly latencies: number[];
  readonly kwokMs: number[];
  readonly posts: number;
  readonly updates: number;
  readonly warnings: number;
  readonly missed: number;
}

async function latencyRun(c: BenchCluster, policyFile: string): Promise<LatencyRun> {
  const load = loadavg();
  const bot = await startBot(c, policyFile, true);
  const namespace = `abench-lat-${randomBytes(3).toString('hex')}`;
  const latencies: number[] = [];
  const kwokMs: number[] = [];
  let missed = 0;
  try {
    await bot.watcher.waitFor((e) => e.event === 'watching', 300_000);
    await ensureNamespace(c.core, namespace, c.admin);
    const crashes = await watchCrashes(c.admin, namespace);
    for (let i = 0; i < num('samples'); i++) {
      const pod = `fail-${i}`;
      const created = performance.now();
      let postedAt = 0;
      const posted = bot.emu.waitFor(
        (call) => {
          const match = isAlertPost(call, latencyChannel) && callText(call).includes(` Pod ${pod} in ${namespace} `);
          if (match && postedAt === 0) postedAt = performance.now();
          return match;
        },
        { since: bot.emu.calls.length, timeoutMs: 30_000 },
      );
      await c.core.createNamespacedPod({
        namespace,
        body: barePod(pod, 'ghcr.io/acme/fail:1.0-crashloop', { 'coxswain.test/restart-interval': '1h' }),
      });
      try {
        const crashedAt = await crashes.crashOf(pod, 30_000);
        await posted;
        latencies.push(postedAt - crashedAt);
        kwokMs.push(crashedAt - created);
      } catch (error) {
        missed++;
        console.log(`  ${pod}: ${(error as Error).message.split('\n')[0]}`);
      }
      await sleep(Math.max(0, num('gap-ms') - (performance.now() - created)));
    }
    crashes.stop();
    const calls = bot.emu.calls.filter((call) => call.params['channel'] === latencyChannel);
    return {
      load,
      latencies,
      kwokMs,
      missed,
      warnings: bot.emu.blockKitWarnings.length,
      posts: calls.filter((call) => isAlertPost(call, latencyChannel)).length,
      updates: calls.filter((call) => call.method === 'chat.update').length,
    };
  } finally {
    await bot.stop();
    await deleteNamespaceNow(c, namespace);
  }
}

async function latencyPhase(c: BenchCluster, policyFile: string): Promise<void> {
  const pods = num('latency-pods');
  await ensureHealthyPods(c.core, pods);
  console.log(
    `\n== latency: ${await countPods(c.core)} pods in the cluster (watcher cache), ${num('samples')} crash-looping bare pods one at a time, ${num('gap-ms')} ms apart, one channel`,
  );
  const p99s: number[] = [];
  for (let r = 1; r <= runs; r++) {
    const run = await latencyRun(c, policyFile);
    p99s.push(quantile(run.latencies, 0.99));
    console.log(
      `run ${r} (load before ${run.load}): crash status → alert post ${describeLatencies(run.latencies)}; missed ${run.missed}`,
    );
    console.log(
      `  create → CrashLoopBackOff seen (kwok) p50 ${median(run.kwokMs).toFixed(0)} ms; posts ${run.posts}, edits ${run.updates}, emulator warnings ${run.warnings}`,
    );
  }
  console.log(
    `latency: median p99 ${median(p99s).toFixed(1)} ms over ${runs} runs (${p99s.map((x) => x.toFixed(1)).join(', ')}); target p99 ≤ 1000 ms: ${median(p99s) <= 1000 ? 'met' : 'MISSED'}`,
  );
}

// ───────────── memory ─────────────

interface MemoryRun {
  readonly load: string;
  readonly pods: number;
  readonly listMs: number;
  readonly startToSyncedMs: number;
  readonly pages: number;
  readonly peak: number;
  readonly hwm: number;
  readonly steady: number;
  readonly atLead: number;
  readonly heap: string;
}

async function memoryRun(c: BenchCluster, policyFile: string): Promise<MemoryRun> {
  const load = loadavg();
  const pods = await countPods(c.core);
  const bot = await startBot(c, policyFile, false);
  const sampler = sampleRss(bot.watcher.pid, 500);
  try {
    const lead = await bot.watcher.waitFor(isLead, 60_000);
    const synced = await bot.watcher.waitFor((e) => e.event === 'watching', 300_000);
    await sleep(num('settle-s') * 1000);
    sampler.stop();
    const m = await bot.watcher.memory();
    const heap = `RSS ${String(m['rssMiB'])} MiB, heap used ${String(m['heapUsedMiB'])} of ${String(m['heapTotalMiB'])} MiB, external ${String(m['externalMiB'])} MiB`;
    const { samples } = sampler;
    const tail = samples.filter((s) => s.t >= samples[samples.length - 1]!.t - 5000).map((s) => s.rss);
    // The sample just before the lead, or (when it came before the first sample) the first one after it.
    const atLead = samples.filter((s) => s.t <= lead.t).at(-1)?.rss ?? samples[0]?.rss ?? 0;
    return {
      load,
      pods,
      listMs: synced.t - lead.t,
      startToSyncedMs: synced.t - bot.watcher.spawnedAt,
      pages: bot.watcher.events.filter((e) => e.event === 'list-page').length,
      peak: Math.max(...samples.map((s) => s.rss)),
      hwm: sampler.hwm(),
      steady: median(tail),
      atLead,
      heap,
    };
  } finally {
    sampler.stop();
    await bot.stop();
  }
}

function printMemoryRun(r: number, run: MemoryRun): void {
  console.log(
    `run ${r} (load before ${run.load}): ${run.pods} pods, ${run.pages} list pages; list (lead → first watch request) ${run.listMs} ms, process start → synced ${run.startToSyncedMs} ms`,
  );
  console.log(
    `  RSS at lead ${mib(run.atLead)}, peak sampled ${mib(run.peak)}, peak (VmHWM) ${mib(run.hwm)}, steady (median of the last 5 s of ${num('settle-s')} s after sync) ${mib(run.steady)}; then ${run.heap}`,
  );
}

async function memoryBaseline(c: BenchCluster, policyFile: string): Promise<void> {
  if ((await countPods(c.core)) > 0) {
    console.log('\n(memory baseline skipped: the cluster already has pods; run on a fresh cluster for it)');
    return;
  }
  console.log('\n== memory baseline: 0 pods');
  for (let r = 1; r <= runs; r++) printMemoryRun(r, await memoryRun(c, policyFile));
}

async function memoryPhase(c: BenchCluster, policyFile: string): Promise<void> {
  await ensureHealthyPods(c.core, num('memory-pods'));
  console.log(
    `\n== memory: ${await countPods(c.core)} pods, mean ${await meanPodBytes(c.admin)} bytes of JSON per listed pod`,
  );
  const done: MemoryRun[] = [];
  for (let r = 1; r <= runs; r++) {
    const run = await memoryRun(c, policyFile);
    done.push(run);
    printMemoryRun(r, run);
  }
  const peak = median(done.map((d) => d.hwm));
  console.log(
    `memory: medians — list ${median(done.map((d) => d.listMs))} ms, peak ${mib(peak)}, steady ${mib(median(done.map((d) => d.steady)))}; target ≤ 150 MB: ${peak * 1.048576 <= 150 ? 'met' : 'MISSED'} (peak)`,
  );
}

// ───────────── storm ─────────────

interface StormRun {
  readonly load: string;
  readonly workloads: number;
  readonly pods: number;
  readonly crashing: number;
  readonly allCrashingS: number;
  readonly allAlertedS: number;
  readonly alertAfterFirstCrash: number[];
  readonly posts: number;
  readonly maxPostsPerWorkload: number;
  readonly updates: number;
  readonly status429: number;
  readonly rateWarnings: number;
  readonly fullCountS: number | undefined;
  readonly callsPerSecondMax: number;
  /** Alert versions the watcher recorded and enqueued as delivery jobs ("alert new|updated" log lines). */
  readonly jobs: number;
  readonly seconds: number;
  watcherCpuMs: number;
  workerCpuMs: number;
}

/** The most calls in any 1 s window. */
function peakRate(times: readonly number[]): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

function stormFigures(
  bot: Bot,
  names: readonly string[],
  namespace: string,
  t0: number,
): Omit<
  StormRun,
  | 'load'
  | 'allAlertedS'
  | 'alertAfterFirstCrash'
  | 'crashing'
  | 'allCrashingS'
  | 'jobs'
  | 'seconds'
  | 'watcherCpuMs'
  | 'workerCpuMs'
> {
  const calls = bot.emu.calls.filter((call) => call.params['channel'] === stormChannel);
  const posts = calls.filter((call) => isAlertPost(call, stormChannel));
  const perWorkload = names.map(
    (n) => posts.filter((call) => callText(call).includes(` Deployment ${n} in ${namespace} `)).length,
  );
  const replicas = num('storm-replicas');
  const full = names.map((n) =>
    calls.find(
      (call) =>
        call.status === 200 &&
        callText(call).includes(` Deployment ${n} in `) &&
        callText(call).includes(`Firing: ${replicas} pod(s)`),
    ),
  );
  const fullAt = full.every((call) => call !== undefined) ? Math.max(...full.map((call) => call.time)) : undefined;
  return {
    workloads: names.length,
    pods: names.length * replicas,
    posts: posts.length,
    maxPostsPerWorkload: Math.max(...perWorkload),
    updates: calls.filter((call) => call.method === 'chat.update').length,
    status429: bot.emu.calls.filter((call) => call.status === 429).length,
    rateWarnings: bot.emu.blockKitWarnings.filter((w) => w.code === 'channel_rate').length,
    fullCountS: fullAt === undefined ? undefined : (fullAt - t0) / 1000,
    callsPerSecondMax: peakRate(calls.filter((call) => call.method !== 'conversations.info').map((call) => call.time)),
  };
}

/** Stops the run's bot, adds its processes' CPU to the run's figures (when it got that far), deletes its namespace. */
async function endRun(c: BenchCluster, bot: Bot, namespace: string, result: object | undefined): Promise<void> {
  const cpu = await bot.stop();
  if (result) Object.assign(result, cpu);
  await deleteNamespaceNow(c, namespace);
}

async function stormRun(c: BenchCluster, policyFile: string): Promise<StormRun> {
  const load = loadavg();
  const bot = await startBot(c, policyFile, true);
  const namespace = `abench-storm-${randomBytes(3).toString('hex')}`;
  const names = Array.from({ length: num('storm-workloads') }, (_, d) => `storm-${d}`);
  let result: StormRun | undefined;
  try {
    await bot.watcher.waitFor((e) => e.event === 'watching', 300_000);
    await ensureNamespace(c.core, namespace, c.admin);
    const crashes = await watchCrashes(c.admin, namespace);
    const alertedAt = new Map<string, number>();
    const alerted = Promise.all(
      names.map((n) =>
        bot.emu.waitFor(
          (call) => {
            const match =
              isAlertPost(call, stormChannel) && callText(call).includes(` Deployment ${n} in ${namespace} `);
            if (match && !alertedAt.has(n)) alertedAt.set(n, performance.now());
            return match;
          },
          { timeoutMs: 300_000 },
        ),
      ),
    );
    const t0 = performance.now();
    const tWall = Date.now();
    await Promise.all(
      names.map((n) =>
        c.apps.createNamespacedDeployment({
          namespace,
          body: benchDeployment(n, { replicas: num('storm-replicas'), crashLoop: true }),
        }),
      ),
    );
    await alerted;
    const pods = names.length * num('storm-replicas');
    const deadline = performance.now() + 300_000;
    while (crashes.firstCrash.size < pods && performance.now() < deadline) await sleep(250);
    await sleep(num('observe-s') * 1000);
    crashes.stop();
    if (argv.dump) await dumpStorm(argv.dump, bot, namespace, tWall, crashes.firstCrash, t0);
    const firstCrashOf = (n: string): number =>
      Math.min(...[...crashes.firstCrash].filter(([pod]) => pod.startsWith(`${n}-`)).map(([, t]) => t));
    result = {
      load,
      crashing: crashes.firstCrash.size,
      allCrashingS: (Math.max(...crashes.firstCrash.values()) - t0) / 1000,
      allAlertedS: (Math.max(...alertedAt.values()) - t0) / 1000,
      alertAfterFirstCrash: names.map((n) => (alertedAt.get(n) ?? Number.NaN) - firstCrashOf(n)),
      ...stormFigures(bot, names, namespace, tWall),
      jobs: bot.watcher.events.filter(
        (e) => e.event === 'log' && /^alert (new|updated|recovered)/u.test(String(e['message'])),
      ).length,
      seconds: (performance.now() - t0) / 1000,
      watcherCpuMs: Number.NaN,
      workerCpuMs: Number.NaN,
    };
  } finally {
    await endRun(c, bot, namespace, result);
  }
  return result;
}

/**
 * Writes the storm channel's calls (time from the start, method, alert text) and each pod's first crash, for a closer
 * look.
 */
async function dumpStorm(
  dir: string,
  bot: Bot,
  namespace: string,
  tWall: number,
  firstCrash: ReadonlyMap<string, number>,
  t0: number,
): Promise<void> {
  const calls = bot.emu.calls
    .filter((call) => call.params['channel'] === stormChannel && call.method !== 'conversations.info')
    .map((call) => ({
      s: (call.time - tWall) / 1000,
      method: call.method,
      status: call.status,
      thread: call.params['thread_ts'] !== undefined,
      text: callText(call),
    }));
  const crashes = [...firstCrash].map(([pod, t]) => ({ pod, s: (t - t0) / 1000 }));
  const file = join(dir, `storm-${namespace}.json`);
  await writeFile(
    file,
    JSON.stringify(
      {
        calls,
        crashes,
        watcher: bot.watcher.events.filter((e) => e.event === 'log').length,
        warnings: bot.emu.blockKitWarnings,
      },
      null,
      1,
    ),
  );
  console.log(`  calls written to ${file}`);
}

async function stormPhase(c: BenchCluster, policyFile: string): Promise<void> {
  console.log(
    `\n== storm: ${num('storm-workloads')} Deployments × ${num('storm-replicas')} replicas created crash-looping at once (restart every 1.5 s), one channel, ${await countPods(c.core)} other pods; observed ${num('observe-s')} s after all pods crash-loop`,
  );
  const done: StormRun[] = [];
  for (let r = 1; r <= runs; r++) {
    const run = await stormRun(c, policyFile);
    done.push(run);
    console.log(
      `run ${r} (load before ${run.load}): ${run.crashing}/${run.pods} pods crash-looping after ${run.allCrashingS.toFixed(1)} s; every workload alerted after ${run.allAlertedS.toFixed(1)} s`,
    );
    console.log(
      `  alert after its workload's first crash: ${describeLatencies(run.alertAfterFirstCrash)}; every alert showing ${num('storm-replicas')} pods after ${run.fullCountS?.toFixed(1) ?? 'never'} s`,
    );
    console.log(
      `  posts ${run.posts} (max ${run.maxPostsPerWorkload} per workload), edits ${run.updates}, 429s ${run.status429}, channel_rate warnings ${run.rateWarnings}, max ${run.callsPerSecondMax} calls in any 1 s to the channel`,
    );
    const pct = (ms: number): string => `${(ms / run.seconds / 10).toFixed(0)}%`;
    console.log(
      `  ${run.jobs} delivery jobs enqueued by the watcher in ${run.seconds.toFixed(0)} s; CPU of one core over the run: watcher ${pct(run.watcherCpuMs)}, worker ${pct(run.workerCpuMs)}`,
    );
  }
  const ok = done.every((d) => d.maxPostsPerWorkload <= 1 && d.status429 === 0);
  console.log(
    `storm: medians — all alerted ${median(done.map((d) => d.allAlertedS)).toFixed(1)} s, all crash-looping ${median(done.map((d) => d.allCrashingS)).toFixed(1)} s, edits ${median(done.map((d) => d.updates))}; target ≤ 1 post per workload, no 429 loop: ${ok ? 'met' : 'MISSED'}`,
  );
}

// ───────────── mixed ─────────────

interface MixedRun {
  readonly load: string;
  /** From a new workload's first CrashLoopBackOff (this process's watch) to its first post (the emulator), ms. */
  readonly singles: number[];
  readonly burst: number[];
  readonly missed: number;
  readonly posts: number;
  readonly edits: number;
  readonly editsPerMinute: number;
  readonly status429: Record<string, number>;
  /** The longest a background alert went without an edit while failing, s. */
  readonly longestEditGapS: number;
  readonly seconds: number;
  readonly watcherCpuMs: number;
  readonly workerCpuMs: number;
}

/** A seeded pseudo-random sequence in [0, 1) (mulberry32), so every run's burst has the same shape. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The workload a top-level alert post in the mixed channel is about. */
function alertedWorkload(call: RecordedCall): string | undefined {
  if (!isAlertPost(call, mixedChannel)) return undefined;
  return / (?:Deployment|Pod) (\S+) in /u.exec(callText(call))?.[1];
}

/** Posts, edits and 429s of a mixed run, and the longest a background alert went without an edit. */
function mixedFigures(
  bot: Bot,
  tWall: number,
  seconds: number,
): Pick<MixedRun, 'posts' | 'edits' | 'editsPerMinute' | 'status429' | 'longestEditGapS'> {
  const calls = bot.emu.calls.filter((call) => call.params['channel'] === mixedChannel);
  const edits = calls.filter((call) => call.method === 'chat.update' && call.status === 200);
  const status429: Record<string, number> = {};
  for (const call of bot.emu.calls.filter((x) => x.status === 429))
    status429[call.method] = (status429[call.method] ?? 0) + 1;
  // Edits per background alert: the longest stretch without one, from its post to the end.
  const tsOf = new Map<string, string>();
  for (const call of calls) {
    const name = alertedWorkload(call);
    if (name && call.result['ts']) tsOf.set(String(call.result['ts']), name);
  }
  const end = Date.now();
  let longestEditGapS = 0;
  for (const [ts, name] of tsOf) {
    if (!name.startsWith('bg-')) continue;
    const post = calls.find((call) => call.result['ts'] === ts && call.method === 'chat.postMessage');
    const times = [post?.time ?? tWall, ...edits.filter((e) => e.params['ts'] === ts).map((e) => e.time), end];
    for (let i = 1; i < times.length; i++)
      longestEditGapS = Math.max(longestEditGapS, ((times[i] ?? 0) - (times[i - 1] ?? 0)) / 1000);
  }
  return {
    posts: calls.filter((call) => isAlertPost(call, mixedChannel)).length,
    edits: edits.length,
    editsPerMinute: edits.length / (seconds / 60),
    status429,
    longestEditGapS,
  };
}

async function mixedRun(c: BenchCluster, policyFile: string, seed: number): Promise<MixedRun> {
  const load = loadavg();
  const bot = await startBot(c, policyFile, true, { rateLimits: true });
  const namespace = `abench-mix-${randomBytes(3).toString('hex')}`;
  const firstPost = new Map<string, number>();
  bot.emu
    .waitFor(
      (call) => {
        const name = alertedWorkload(call);
        if (name && !firstPost.has(name)) firstPost.set(name, performance.now());
        return false;
      },
      { timeoutMs: 3_600_000 },
    )
    .catch(() => undefined);
  const postOf = async (name: string, timeoutMs: number): Promise<number> => {
    const deadline = performance.now() + timeoutMs;
    while (!firstPost.has(name) && performance.now() < deadline) await sleep(20);
    const t = firstPost.get(name);
    if (t === undefined) throw new Error(`${name}: no alert posted within ${timeoutMs} ms`);
    return t;
  };
  let result: MixedRun | undefined;
  let missed = 0;
  try {
    await bot.watcher.waitFor((e) => e.event === 'watching', 300_000);
    await ensureNamespace(c.core, namespace, c.admin);
    const crashes = await watchCrashes(c.admin, namespace);
    const t0 = performance.now();
    const tWall = Date.now();
    // The background: failing Deployments whose pods restart every 5 s, so their alerts always have an edit to send.
    const background = Array.from({ length: num('mixed-background') }, (_, i) => `bg-${i}`);
    await Promise.all(
      background.map((n) =>
        c.apps.createNamespacedDeployment({
          namespace,
          body: benchDeployment(n, {
            replicas: 2,
            podAnnotations: { 'coxswain.test/restart-interval': '5s' },
            crashLoop: true,
          }),
        }),
      ),
    );
    for (const n of background) await postOf(n, 180_000);
    await sleep(20_000); // edits in full flow
    const firstCrashOf = async (prefix: string): Promise<number> => {
      const deadline = performance.now() + 60_000;
      for (;;) {
        const times = [...crashes.firstCrash].filter(([pod]) => pod.startsWith(prefix)).map(([, t]) => t);
        if (times.length > 0) return Math.min(...times);
        if (performance.now() > deadline) throw new Error(`${prefix}: no pod crash-looped within 60 s`);
        await sleep(20);
      }
    };
    // New workloads one at a time: bare pods.
    const singles: number[] = [];
    for (let i = 0; i < num('mixed-singles'); i++) {
      const pod = `single-${i}`;
      const created = performance.now();
      await c.core.createNamespacedPod({ namespace, body: barePod(pod, 'ghcr.io/acme/single:1.0-crashloop') });
      try {
        const crashed = await crashes.crashOf(pod, 30_000);
        singles.push((await postOf(pod, 30_000)) - crashed);
      } catch (error) {
        missed++;
        console.log(`  ${(error as Error).message.split('\n')[0]}`);
      }
      await sleep(Math.max(0, num('mixed-single-gap-ms') - (performance.now() - created)));
    }
    // A burst: new Deployments at seeded random moments within the window.
    const random = seeded(seed);
    const burstNames = Array.from({ length: num('mixed-burst') }, (_, i) => `burst-${i}`);
    const offsets = burstNames.map(() => random() * num('mixed-burst-s') * 1000).sort((a, b) => a - b);
    const burstStart = performance.now();
    await Promise.all(
      burstNames.map(async (n, i) => {
        await sleep(offsets[i] ?? 0);
        await c.apps.createNamespacedDeployment({
          namespace,
          body: benchDeployment(n, { replicas: 2, crashLoop: true }),
        });
      }),
    );
    const burst: number[] = [];
    for (const n of burstNames) {
      try {
        const crashed = await firstCrashOf(`${n}-`);
        burst.push((await postOf(n, 60_000)) - crashed);
      } catch (error) {
        missed++;
        console.log(`  ${(error as Error).message.split('\n')[0]}`);
      }
    }
    await sleep(Math.max(0, burstStart + num('mixed-burst-s') * 1000 + 10_000 - performance.now()));
    crashes.stop();
    const seconds = (performance.now() - t0) / 1000;
    result = {
      load,
      singles,
      burst,
      missed,
      ...mixedFigures(bot, tWall, seconds),
      seconds,
      watcherCpuMs: Number.NaN,
      workerCpuMs: Number.NaN,
    };
  } finally {
    await endRun(c, bot, namespace, result);
  }
  return result;
}

async function mixedPhase(c: BenchCluster, policyFile: string): Promise<void> {
  console.log(
    `\n== mixed: ${num('mixed-background')} Deployments × 2 failing and edited in one channel (restart every 5 s); then ${num('mixed-singles')} new crash-looping pods ${num('mixed-single-gap-ms')} ms apart and a burst of ${num('mixed-burst')} new Deployments within ${num('mixed-burst-s')} s; the emulator enforces Slack's limits (posts 1/s per channel, burst 3; chat.update 50/min, burst 10)`,
  );
  const p99s: number[] = [];
  const burstP99s: number[] = [];
  let all429 = 0;
  for (let r = 1; r <= runs; r++) {
    const run = await mixedRun(c, policyFile, r);
    p99s.push(quantile(run.singles, 0.99));
    burstP99s.push(quantile(run.burst, 0.99));
    const refused = Object.values(run.status429).reduce((a, b) => a + b, 0);
    all429 += refused;
    const pct = (ms: number): string => `${(ms / run.seconds / 10).toFixed(0)}%`;
    console.log(
      `run ${r} (load before ${run.load}): new alone: CrashLoopBackOff → first post ${describeLatencies(run.singles)}; burst: ${describeLatencies(run.burst)}; missed ${run.missed}`,
    );
    console.log(
      `  posts ${run.posts}, edits ${run.edits} (${run.editsPerMinute.toFixed(1)}/min), longest a background alert went unedited ${run.longestEditGapS.toFixed(1)} s; 429s ${refused} ${JSON.stringify(run.status429)}; CPU over ${run.seconds.toFixed(0)} s: watcher ${pct(run.watcherCpuMs)}, worker ${pct(run.workerCpuMs)}`,
    );
  }
  const met = median(p99s) <= 300 && median(burstP99s) <= 300 && all429 === 0;
  console.log(
    `mixed: median p99 new alone ${median(p99s).toFixed(0)} ms (${p99s.map((x) => x.toFixed(0)).join(', ')}), in the burst ${median(burstP99s).toFixed(0)} ms (${burstP99s.map((x) => x.toFixed(0)).join(', ')}); 429s ${all429}; target p99 ≤ 300 ms both, 0 × 429: ${met ? 'met' : 'MISSED'}`,
  );
}

// ───────────── main ─────────────

const c = await benchCluster({
  ...(argv['cluster-dir'] ? { dir: argv['cluster-dir'] } : {}),
  keep: argv['keep-cluster'] ?? false,
});
try {
  console.log(
    `alerts benchmark, phase ${phase}, ${runs} runs each — ${readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gmu)?.length ?? '?'} cores, node ${process.version}, load ${loadavg()}`,
  );
  console.log(
    `role processes: ${roleScript ? 'compiled JavaScript (as the image ships)' : 'TypeScript through type stripping'}; watcher flags: ${watcherArgs.join(' ') || 'none'}`,
  );
  const policyFile = await writeBenchPolicy(c.state.dir, [
    { prefix: 'abench-lat-', channel: latencyChannel },
    { prefix: 'abench-storm-', channel: stormChannel },
    { prefix: 'abench-mix-', channel: mixedChannel },
  ]);
  // In this order, so the baseline sees 0 pods and the latency phase 5,000 before the memory phase makes 10,000.
  if (phase === 'memory' || phase === 'all') await memoryBaseline(c, policyFile);
  if (phase === 'latency' || phase === 'all') await latencyPhase(c, policyFile);
  if (phase === 'memory' || phase === 'all') await memoryPhase(c, policyFile);
  if (phase === 'storm' || phase === 'all') await stormPhase(c, policyFile);
  if (phase === 'mixed' || phase === 'all') await mixedPhase(c, policyFile);
} finally {
  await c.close();
}
