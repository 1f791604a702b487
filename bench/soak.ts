// Benchmark (issue 7, SOAK): the bot's three roles under a steady, mixed load for
// a long time, to see whether any process's memory grows. The gateway, the worker
// and the watcher each run in a child process of their own, as deploy/overlays/split
// runs them (--shape split, the default), or all three in one, as deploy/base does
// (--shape all) (bench/role-process.ts, the compiled sources as the image ships
// them, with the Node flags of their Deployment); the Slack emulator, its signing
// driver and the load are in this process. On a private test cluster (started
// here, purged at the end) unless --cluster-dir reuses one.
//
// Load: one command every --interval-s (default 2 s), open loop, cycling
// `get pods`, `scale web-N 1|2|3`, `rollout status web-N`, `get deployments` over
// 5 Deployments, from three users in one channel. Alert churn: every
// --churn-every-s (default 30 s) a new Deployment `churn-<n>` (2 replicas) whose
// pods crash-loop (kwok, a restart every 5 s) in a namespace the policy routes to
// an alert channel; after --fail-s (default 40 s) its image is made healthy (the
// alert recovers --recover-after-s later), and 60 s after that it is deleted. So
// a few alerts fire, are edited and recover at any time, each for a new workload.
//
// Measured: each process's RSS from /proc every --sample-s (default 10 s): at the
// start (the median of the minute after the warm-up, --warmup-minutes, default 3),
// at the end (the median of the last minute), the max, and the least-squares slope
// after the warm-up in MiB per 10 min. Target "no growth
// trend beyond 10%": (end − start) / start ≤ 10% and slope × measured span / start
// ≤ 10%, met or missed per process. Also: commands acked, finished ✅/❌, alerts
// posted, edited and recovered, lock keys left, and each process's heap at start
// and end (process.memoryUsage through SIGUSR2). Exit 1 if a check or target fails.
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { jobIdFor } from '../src/queue/request-claims.ts';
import { SlackEmulator, type SlackDriver } from '../test/support/slack-emulator/index.ts';
import { callText } from '../test/support/slack-flow.ts';
import {
  deleteNamespaceNow,
  ensureNamespace,
  sampleRss,
  type BenchCluster,
  type RoleChild,
  type RssSampler,
} from './alerts-kit.ts';
import { benchDeployment, benchRedisUrl, describeLatencies, sleep } from './bench-kit.ts';
import {
  Finals,
  leastSquaresSlope,
  loadavg,
  openCluster,
  parseBenchOptions,
  portOf,
  problemsLogged,
  readJobTimes,
  roleScriptFor,
  runSetupUsage,
  scanKeys,
  shippedNodeFlags,
  startBotProcesses,
  tally,
  runBench,
  type Teardown,
  usageError,
  waitForAvailable,
  type BotProcesses,
} from './bench-run.ts';

const usage =
  'npm run bench:soak [-- --minutes 30 --warmup-minutes 3 --interval-s 2 --sample-s 10 --churn-every-s 30 --fail-s 40 --recover-after-s 30 --shape split|all' +
  ` --samples-file FILE (every RSS sample as JSON) ${runSetupUsage}]`;
const { num, str, flag } = parseBenchOptions(
  usage,
  {
    minutes: { default: 30, min: 1 },
    'warmup-minutes': { default: 3, min: 0 },
    'interval-s': { default: 2, min: 0.1 },
    'sample-s': { default: 10, min: 1 },
    'churn-every-s': { default: 30, min: 5 },
    'fail-s': { default: 40, min: 5 },
    'recover-after-s': { default: 30, min: 1, integer: true },
  },
  ['cluster-dir', 'source', 'samples-file', 'shape'],
  ['keep-cluster'],
);
const shape = str.shape ?? 'split';
if (shape !== 'split' && shape !== 'all')
  usageError(usage, `--shape must be split or all, not ${JSON.stringify(shape)}`);
if (num['warmup-minutes'] >= num.minutes)
  usageError(usage, `--warmup-minutes (${num['warmup-minutes']}) must be less than --minutes (${num.minutes})`);
const measuredMinutes = num.minutes - num['warmup-minutes'];
if (measuredMinutes * 60 < 3 * num['sample-s'])
  usageError(
    usage,
    `the ${measuredMinutes} min after the warm-up hold fewer than 3 samples of --sample-s ${num['sample-s']}`,
  );

const opsChannel = 'C0OPS';
const alertChannel = 'C0SOAK';
const apps = 5;
const users = ['U0ALICE', 'U0BOB', 'U0CAROL'];
/** A churn workload is deleted this long after it was made healthy. */
const deleteAfterHealthyMs = 60_000;

/** Writes the soak's policy: everyone may do everything; `soak-alerts-*` alerts go to the alert channel. */
async function writePolicy(dir: string): Promise<string> {
  const file = join(dir, `soak-policy-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(
    file,
    [
      'roles:',
      '  everything: [{ verbs: ["*"] }]',
      'bindings:',
      '  - { role: everything, users: ["*"] }',
      'alerts:',
      '  routes:',
      `    - { namespaces: ["soak-alerts-*"], channel: ${alertChannel} }`,
      '  cooldown: 2m',
      `  recoverAfter: ${num['recover-after-s']}s`,
      '  unschedulableAfter: 1m',
      '',
    ].join('\n'),
  );
  return file;
}

// ───────────── the steady command load ─────────────

/** A command sent, and how it was acked. */
interface SentCommand {
  readonly text: string;
  readonly sentAt: number;
  readonly ackMs: number;
  readonly status: number;
  readonly queued: boolean;
  readonly jobId: string;
}

/** The i-th command of the cycle: get pods, scale, rollout status, get deployments. */
function commandText(i: number, namespace: string): string {
  const app = `web-${Math.floor(i / 4) % apps}`;
  switch (i % 4) {
    case 0:
      return `get pods -n ${namespace}`;
    case 1:
      return `scale ${app} ${1 + (Math.floor(i / 4) % 3)} -n ${namespace}`;
    case 2:
      return `rollout status ${app} -n ${namespace}`;
    default:
      return `get deployments -n ${namespace}`;
  }
}

/** Sends one command every interval (open loop: never waits for the ack before the next is due). */
function startCommandLoop(
  slack: SlackDriver,
  namespace: string,
  teamId: string,
): { sent: SentCommand[]; stop: () => Promise<void> } {
  const sent: SentCommand[] = [];
  const inFlight = new Set<Promise<void>>();
  let i = 0;
  const send = async (): Promise<void> => {
    const n = i++;
    const text = commandText(n, namespace);
    const sentAt = Date.now();
    const answer = await slack.slashCommand('/k8s', text, { user: users[n % users.length]!, channel: opsChannel });
    sent.push({
      text,
      sentAt,
      ackMs: answer.ms,
      status: answer.status,
      queued: answer.status === 200 && answer.ack === undefined,
      jobId: jobIdFor(teamId, answer.triggerId),
    });
  };
  const timer = setInterval(() => {
    const p = send().catch((error: unknown) => {
      console.log(`  send failed: ${String(error)}`);
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }, num['interval-s'] * 1000);
  return {
    sent,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}

// ───────────── alert churn ─────────────

/** A crash-looping Deployment (kwok: the `crashloop` tag marker; a restart every 5 s). */
function churnDeployment(name: string): k8s.V1Deployment {
  return benchDeployment(name, {
    replicas: 2,
    podAnnotations: { 'coxswain.test/restart-interval': '5s' },
    crashLoop: true,
  });
}

/**
 * Creates a failing Deployment every churn interval; makes each healthy after --fail-s and deletes it a minute later.
 */
function startChurn(c: BenchCluster, namespace: string): { created: string[]; errors: string[]; stop: () => void } {
  const created: string[] = [];
  const errors: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, what: string, work: () => Promise<unknown>): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      work().catch((error: unknown) => {
        errors.push(`${what}: ${(error as Error).message.split('\n')[0]}`);
      });
    }, ms);
    timers.add(t);
  };
  const healthy = (name: string): object[] => [
    { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `ghcr.io/acme/${name}:1.1` },
  ];
  const cycle = (): void => {
    const name = `churn-${created.length}`;
    created.push(name);
    later(0, `create ${name}`, () => c.apps.createNamespacedDeployment({ namespace, body: churnDeployment(name) }));
    later(num['fail-s'] * 1000, `heal ${name}`, () =>
      c.apps.patchNamespacedDeployment({ name, namespace, body: healthy(name) }),
    );
    later(num['fail-s'] * 1000 + deleteAfterHealthyMs, `delete ${name}`, () =>
      c.apps.deleteNamespacedDeployment({ name, namespace }),
    );
  };
  cycle();
  const every = setInterval(cycle, num['churn-every-s'] * 1000);
  return {
    created,
    errors,
    stop: () => {
      clearInterval(every);
      for (const t of timers) clearTimeout(t);
    },
  };
}

// ───────────── memory ─────────────

/** One process's RSS over the run and the verdict on its trend. */
interface Trend {
  readonly start: number;
  readonly end: number;
  readonly max: number;
  readonly peak: number;
  readonly slopePer10Min: number;
  readonly growth: number;
  readonly extrapolated: number;
  readonly met: boolean;
}

/** The median RSS of the samples in [from, to). */
function medianRss(samples: readonly { t: number; rss: number }[], from: number, to: number): number | undefined {
  const within = samples
    .filter((s) => s.t >= from && s.t < to)
    .map((s) => s.rss)
    .sort((a, b) => a - b);
  return within.length === 0 ? undefined : within[Math.floor(within.length / 2)];
}

/**
 * Start and end are medians of a minute each (the minute after the warm-up, the last minute), so that neither one
 * sample's spike nor the start-up peak (the gateway's first ~2.5 min, in every run) sets the baseline.
 */
function trendOf(sampler: RssSampler, t0: number): Trend | undefined {
  const warm = t0 + num['warmup-minutes'] * 60_000;
  const after = sampler.samples.filter((s) => s.t >= warm);
  if (after.length < 2) return undefined;
  const lastT = after.at(-1)!.t;
  const start = medianRss(after, warm, warm + 60_000)!;
  const end = medianRss(after, lastT - 60_000 + 1, lastT + 1)!;
  const slopePerMs = leastSquaresSlope(after.map((s) => ({ x: s.t, y: s.rss })));
  const spanMs = after.at(-1)!.t - after[0]!.t;
  const growth = (end - start) / start;
  const extrapolated = (slopePerMs * spanMs) / start;
  return {
    start,
    end,
    max: Math.max(...after.map((s) => s.rss)),
    peak: sampler.hwm(),
    slopePer10Min: slopePerMs * 600_000,
    growth,
    extrapolated,
    met: growth <= 0.1 && extrapolated <= 0.1,
  };
}

/** The RSS once a minute after t0 (the sample nearest each whole minute), for the record. */
function byMinute(sampler: RssSampler, t0: number): string {
  const out: string[] = [];
  for (let m = 0; m <= num.minutes; m++) {
    const at = t0 + m * 60_000;
    const nearest = sampler.samples.reduce<{ t: number; rss: number } | undefined>(
      (best, s) => (best === undefined || Math.abs(s.t - at) < Math.abs(best.t - at) ? s : best),
      undefined,
    );
    if (nearest && Math.abs(nearest.t - at) <= num['sample-s'] * 1000) out.push(nearest.rss.toFixed(0));
  }
  return out.join(' ');
}

const heapLine = (e: Record<string, unknown> | undefined): string =>
  e
    ? `RSS ${String(e['rssMiB'])}, heap used ${String(e['heapUsedMiB'])} of ${String(e['heapTotalMiB'])}, external ${String(e['externalMiB'])} MiB`
    : 'n/a';

async function heaps(procs: BotProcesses): Promise<Map<string, Record<string, unknown> | undefined>> {
  const out = new Map<string, Record<string, unknown> | undefined>();
  for (const [label, child] of procs) out.set(label, await child.memory().catch(() => undefined));
  return out;
}

// ───────────── the run ─────────────

interface Setup {
  readonly c: BenchCluster;
  readonly emu: SlackEmulator;
  readonly procs: BotProcesses;
  readonly name: string;
  readonly appsNs: string;
  readonly alertsNs: string;
}

async function setUp(teardown: Teardown, script: string | undefined): Promise<Setup> {
  const c = await openCluster(teardown, {
    clusterDir: str['cluster-dir'],
    keepCluster: flag['keep-cluster'],
    source: str.source,
  });
  const id = randomBytes(3).toString('hex');
  const appsNs = `soak-apps-${id}`;
  const alertsNs = `soak-alerts-${id}`;
  for (const namespace of [appsNs, alertsNs]) {
    teardown.add(`delete namespace ${namespace}`, () => deleteNamespaceNow(c, namespace));
    await ensureNamespace(c.core, namespace, c.admin);
  }
  for (let a = 0; a < apps; a++)
    await c.apps.createNamespacedDeployment({ namespace: appsNs, body: benchDeployment(`web-${a}`, { replicas: 1 }) });
  await waitForAvailable(c, [appsNs], apps, 180_000);
  const emu = await SlackEmulator.start({
    channels: [
      { id: opsChannel, name: 'ops', members: ['U0BOT', ...users] },
      { id: alertChannel, name: 'soak-alerts', members: ['U0BOT'] },
    ],
  });
  teardown.add('stop the Slack emulator', () => emu.stop());
  const policyFile = await writePolicy(c.state.dir);
  teardown.add('delete the policy file', () => rm(policyFile, { force: true }));
  const name = `soak-${id}`;
  // Each with the Node flags its Deployment ships with.
  const roles = (shape === 'all' ? (['all'] as const) : (['worker', 'watcher', 'gateway'] as const)).map((role) => ({
    label: role,
    role,
    nodeFlags: shippedNodeFlags(role),
  }));
  const procs = await startBotProcesses(teardown, { c, emu, name, policyFile, roles, script });
  await procs.get(shape === 'all' ? 'all' : 'watcher')!.waitFor((e) => e.event === 'watching', 60_000);
  console.log(
    `cluster name ${name} (Redis keys coxswain:${name}:*, coxswain:${name}.alerts:*); namespaces ${appsNs}, ${alertsNs}`,
  );
  console.log(
    `processes: ${roles.map((r) => `${r.label} pid ${procs.get(r.label)?.pid} (node flags: ${r.nodeFlags.join(' ') || 'none'})`).join(', ')}; ${script ? 'compiled JavaScript, as the image ships' : 'TypeScript (--source ts)'}`,
  );
  return { c, emu, procs, name, appsNs, alertsNs };
}

/** Alerts in the alert channel: top-level posts, edits of them, "recovered" replies. */
function alertFigures(emu: SlackEmulator): { posts: number; edits: number; recovered: number; workloads: Set<string> } {
  const calls = emu.calls.filter((call) => call.params['channel'] === alertChannel && call.status === 200);
  const posts = calls.filter((call) => call.method === 'chat.postMessage' && call.params['thread_ts'] === undefined);
  const workloads = new Set(posts.map((call) => /churn-\d+/u.exec(callText(call))?.[0] ?? '?'));
  return {
    posts: posts.length,
    workloads,
    edits: calls.filter((call) => call.method === 'chat.update').length,
    recovered: calls.filter(
      (call) =>
        call.method === 'chat.postMessage' &&
        call.params['thread_ts'] !== undefined &&
        /recovered/u.test(callText(call)),
    ).length,
  };
}

/** Waits (≤ 90 s) for every queued command's final root edit; returns how each ended. */
async function commandOutcomes(
  s: Setup,
  sent: readonly SentCommand[],
): Promise<{
  ok: number;
  failed: string[];
  unfinished: number;
  toResult: number[];
  slowest: string[];
  reedited: string[];
}> {
  const finals = new Finals(opsChannel);
  const queued = sent.filter((c) => c.queued);
  const rootOf = new Map<string, string>();
  const deadline = Date.now() + 90_000;
  for (;;) {
    const missing = queued.filter((c) => !rootOf.has(c.jobId)).map((c) => c.jobId);
    for (const j of await readJobTimes(benchRedisUrl, s.name, missing))
      if (j.data?.root?.ts) rootOf.set(j.id, j.data.root.ts);
    finals.scan(s.emu.calls);
    if (queued.every((c) => finals.byTs.has(rootOf.get(c.jobId) ?? '')) || Date.now() > deadline) break;
    await sleep(1000);
  }
  const finalOf = (c: SentCommand): string => {
    const call = finals.byTs.get(rootOf.get(c.jobId) ?? '');
    return call ? callText(call) : '';
  };
  const ended = queued.filter((c) => finalOf(c) !== '');
  return {
    ok: ended.filter((c) => finalOf(c).startsWith('✅')).length,
    failed: ended
      .filter((c) => finalOf(c).startsWith('❌'))
      .map((c) => finalOf(c).replace(/^.*?failed( after [^:]+)?: /u, '')),
    unfinished: queued.length - ended.length,
    toResult: ended.map((c) => (finals.firstByTs.get(rootOf.get(c.jobId)!)?.time ?? 0) - c.sentAt),
    // The slowest five: what they were and when they were sent.
    slowest: ended
      .map((c) => ({ c, ms: (finals.firstByTs.get(rootOf.get(c.jobId)!)?.time ?? 0) - c.sentAt }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5)
      .map(({ c, ms }) => `${c.text} (sent at +${((c.sentAt - sent[0]!.sentAt) / 1000).toFixed(0)} s): ${ms} ms`),
    reedited: ended
      .filter((c) => finals.reedited.has(rootOf.get(c.jobId)!))
      .map(
        (c) =>
          `${c.text}: ${callText(finals.firstByTs.get(rootOf.get(c.jobId)!)!)} → ${callText(finals.byTs.get(rootOf.get(c.jobId)!)!)}`,
      ),
  };
}

async function run(teardown: Teardown): Promise<boolean> {
  const script = roleScriptFor(usage, str.source);
  console.log(
    `soak benchmark: ${num.minutes} min (warm-up ${num['warmup-minutes']} min), a command every ${num['interval-s']} s, a new failing workload every ${num['churn-every-s']} s, RSS every ${num['sample-s']} s — ${process.version}, load before ${loadavg()}`,
  );
  const s = await setUp(teardown, script);
  const t0 = Date.now();
  const samplers = new Map([...s.procs].map(([label, child]) => [label, sampleRss(child.pid, num['sample-s'] * 1000)]));
  teardown.add('stop the RSS samplers', () => Promise.resolve(samplers.forEach((x) => x.stop())));
  const commands = startCommandLoop(
    s.emu.driver(`http://127.0.0.1:${portOf(s.procs.get(shape === 'all' ? 'all' : 'gateway')!)}/slack/events`),
    s.appsNs,
    s.emu.workspace.teamId,
  );
  const churn = startChurn(s.c, s.alertsNs);
  teardown.add('stop the load', async () => {
    churn.stop();
    await commands.stop();
  });
  const loads: string[] = [loadavg()];
  let heapsAtStart = new Map<string, Record<string, unknown> | undefined>();
  const end = t0 + num.minutes * 60_000;
  for (let minute = 1; Date.now() < end; minute++) {
    await sleep(Math.max(0, Math.min(end, t0 + minute * 60_000) - Date.now()));
    if (minute === Math.round(num['warmup-minutes']) && minute > 0) heapsAtStart = await heaps(s.procs);
    loads.push(loadavg().split(' ')[0]!);
    const rss = [...samplers].map(([label, x]) => `${label} ${x.samples.at(-1)?.rss.toFixed(0) ?? '?'}`).join(', ');
    console.log(
      `  ${minute} min: ${commands.sent.length} commands sent, ${churn.created.length} failing workloads made; RSS MiB ${rss}; load ${loadavg()}`,
    );
  }
  churn.stop();
  await commands.stop();
  const heapsAtEnd = await heaps(s.procs);
  for (const x of samplers.values()) x.stop();
  return report(s, { t0, samplers, sent: commands.sent, churn, loads, heapsAtStart, heapsAtEnd });
}

interface Collected {
  readonly t0: number;
  readonly samplers: Map<string, RssSampler>;
  readonly sent: SentCommand[];
  readonly churn: { created: string[]; errors: string[] };
  readonly loads: string[];
  readonly heapsAtStart: Map<string, Record<string, unknown> | undefined>;
  readonly heapsAtEnd: Map<string, Record<string, unknown> | undefined>;
}

async function report(s: Setup, r: Collected): Promise<boolean> {
  let allOk = true;
  const check = (ok: boolean, what: string): void => {
    allOk &&= ok;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  };
  const loads = r.loads.slice(1).map(Number);
  console.log(
    `\nload average (1 min) during the run: min ${Math.min(...loads).toFixed(2)}, median ${[...loads].sort((a, b) => a - b)[Math.floor(loads.length / 2)]?.toFixed(2)}, max ${Math.max(...loads).toFixed(2)} (before: ${r.loads[0]})`,
  );
  console.log(
    `RSS (MiB) from /proc every ${num['sample-s']} s; start = median of the minute after the ${num['warmup-minutes']}-min warm-up, end = median of the last minute; slope = least squares after it; target: growth ≤ 10% (end vs start, and slope over the ${measuredMinutes} min)`,
  );
  for (const [label, sampler] of r.samplers) {
    const t = trendOf(sampler, r.t0);
    if (!t) {
      check(false, `${label}: too few samples`);
      continue;
    }
    const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
    check(
      t.met,
      `${label}: start ${t.start.toFixed(0)}, end ${t.end.toFixed(0)}, max ${t.max.toFixed(0)} (kernel peak ${t.peak.toFixed(0)}), slope ${t.slopePer10Min.toFixed(2)} MiB/10 min; ` +
        `end vs start ${pct(t.growth)}, slope over ${measuredMinutes} min ${pct(t.extrapolated)} — target ${t.met ? 'met' : 'MISSED'}`,
    );
    console.log(`       by minute: ${byMinute(sampler, r.t0)}`);
    console.log(
      `       heap after warm-up: ${heapLine(r.heapsAtStart.get(label))}; at the end: ${heapLine(r.heapsAtEnd.get(label))}`,
    );
  }
  if (str['samples-file'])
    await writeFile(
      str['samples-file'],
      JSON.stringify(
        Object.fromEntries(
          [...r.samplers].map(([label, x]) => [label, x.samples.map((p) => ({ s: (p.t - r.t0) / 1000, rss: p.rss }))]),
        ),
      ),
    );
  const outcomes = await commandOutcomes(s, r.sent);
  const notQueued = r.sent.filter((c) => !c.queued);
  check(
    notQueued.length === 0,
    `commands: ${r.sent.length} sent, ${r.sent.length - notQueued.length} acked and queued; ack ${describeLatencies(r.sent.map((c) => c.ackMs))}`,
  );
  check(
    outcomes.unfinished === 0,
    `commands ended: ✅ ${outcomes.ok}, ❌ ${outcomes.failed.length}${outcomes.failed.length > 0 ? ` (${tally(outcomes.failed, 4)})` : ''}, unfinished ${outcomes.unfinished}; sent → first result ${describeLatencies(outcomes.toResult)}`,
  );
  console.log(`       slowest: ${outcomes.slowest.join('; ')}`);
  check(
    outcomes.reedited.length === 0,
    `results told once: ${outcomes.reedited.length} roots edited to ✅/❌ again after their result${outcomes.reedited.length > 0 ? ` (${tally(outcomes.reedited, 3)})` : ''}`,
  );
  const alerts = alertFigures(s.emu);
  const expectRecovered =
    r.churn.created.length - Math.ceil((num['fail-s'] + num['recover-after-s'] + 20) / num['churn-every-s']);
  check(
    alerts.workloads.size >= r.churn.created.length - 1 && alerts.recovered >= expectRecovered,
    `alert churn: ${r.churn.created.length} failing workloads made; ${alerts.posts} alerts posted for ${alerts.workloads.size} workloads, ${alerts.edits} edits, ${alerts.recovered} recovered (≥ ${expectRecovered} expected); churn errors: ${tally(r.churn.errors, 3)}`,
  );
  const locks = [
    ...(await scanKeys(benchRedisUrl, `coxswain:${s.name}:lock:*`)),
    ...(await scanKeys(benchRedisUrl, `coxswain:${s.name}:line:*`)),
  ];
  check(locks.length === 0, `no deployment lock or line left: ${locks.length}`);
  // A command's root and its result reply often come within 1 s in the commands' channel (as in every benchmark); in
  // the alert channel it would be a pacing bug.
  console.log(
    `emulator: ${s.emu.calls.length} Web API calls; warnings: ${tally(s.emu.blockKitWarnings.map((w) => `${w.code}${w.channel ? ` in ${w.channel}` : ''}`))}`,
  );
  for (const [label, child] of s.procs) await reportProcess(label, child, check);
  return allOk;
}

async function reportProcess(
  label: string,
  child: RoleChild,
  check: (ok: boolean, what: string) => void,
): Promise<void> {
  const problems = problemsLogged(child);
  const stopped = await child.stop();
  const cpu =
    typeof stopped?.['cpuMs'] === 'number' ? `${(stopped['cpuMs'] / 1000).toFixed(0)} s CPU` : 'no exit report';
  check(stopped !== undefined, `${label} ran to the end (${cpu}); warnings/errors logged: ${tally(problems, 4)}`);
}

await runBench('soak', run, {
  ok: 'all checks passed, every target met',
  failed: 'A CHECK FAILED OR A TARGET WAS MISSED',
});
