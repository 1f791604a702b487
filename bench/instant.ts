// Benchmark (issue 20, target 5): is command throughput bounded by the bot? 1,000 commands that finish at once —
// `get pods` of one Deployment, `scale` to the count it already has, `whoami` — sent open-loop at 50/s over 100
// Deployments, drained by 4 worker processes. Kubernetes has next to nothing to do, so what is measured is the
// bot: the gateway's ack while the workers are busy, and what the queue and the worker add to each command beyond
// its KubeApi calls.
//
// The gateway and each worker are child processes running the compiled sources (bench/role-process.ts, the Node
// flags their Deployments ship with); the load comes from a process of its own (bench/ack-client.ts, open loop:
// latency from each command's scheduled send); the Slack emulator is in this process. On a private test cluster
// unless --cluster-dir reuses one.
//
// Checked (exit 1 if any fails): every command acked 200 within Slack's 3 s; whoami answered in the ack, the others
// queued; every thread root ends ✅; per Deployment, the results came in the order the commands were acked; the
// queue drained and no deployment lock or line left. Targets (printed met/MISSED, not checks): ack p99 ≤ 20 ms,
// queue-plus-worker overhead p99 ≤ 100 ms.
//
// Overhead of a queued command = from queue.add (the job's BullMQ `timestamp`, the gateway's clock) to its thread
// root's final ✅ edit reaching the emulator (this process's clock; one machine, one wall clock), minus the time
// its worker spent in KubeApi calls for it (every call is timed in the worker, role-process's `timeKube`; the calls
// naming the command's Deployment, or its label selector, within the job's span, overlaps merged).
import { execFileSync } from 'node:child_process';
import { jobIdFor } from '../src/queue/request-claims.ts';
import type { SlackEmulator } from '../test/support/slack-emulator/index.ts';
import { callText } from '../test/support/slack-flow.ts';
import type { ClientCommand, ClientReport } from './ack-client.ts';
import { benchRedisUrl, cpuSeconds, describeLatencies, quantile, runAckClient, sleep } from './bench-kit.ts';
import {
  Finals,
  loadavg,
  parseBenchOptions,
  readJobTimes,
  reportProcesses,
  roleScriptFor,
  runSetupUsage,
  scanKeys,
  settledQueue,
  runBench,
  startCommandBench,
  usageError,
  type Teardown,
  type BotProcesses,
  type JobTimes,
} from './bench-run.ts';

const usage = `npm run bench:instant [-- --commands 1000 --deployments 100 --namespaces 2 --workers 4 --rate 50 --warmup-s 0 --timeout-s 120 --cpu-prof DIR ${runSetupUsage}]`;
const { num, str, flag } = parseBenchOptions(
  usage,
  {
    commands: { default: 1000, min: 1, integer: true },
    deployments: { default: 100, min: 1, integer: true },
    namespaces: { default: 2, min: 1, integer: true },
    workers: { default: 4, min: 1, integer: true },
    rate: { default: 50, min: 1 },
    'warmup-s': { default: 0, min: 0 },
    'timeout-s': { default: 120, min: 10 },
  },
  ['cluster-dir', 'source', 'cpu-prof'],
  ['keep-cluster'],
);
// --cpu-prof DIR: a CPU profile of each bot process over the run only (role-process.ts starts and stops its profiler
// on SIGHUP), for bench/profile-top.ts.
const profileDir = str['cpu-prof'];
if (profileDir) process.env['BENCH_PROFILE_DIR'] = profileDir;
if (num.namespaces > num.deployments)
  usageError(usage, `--namespaces (${num.namespaces}) must not exceed --deployments (${num.deployments})`);

const channel = 'C0INSTANT';
const slackAckLimitMs = 3000;
const targets = { ackP99Ms: 20, overheadP99Ms: 100 };
/**
 * A user per position in a Deployment's sequence: the same text comes back to a Deployment every third command, from
 * another user (the gateway's 5 s repeat guard is per person and text).
 */
const users = Array.from({ length: 10 }, (_, i) => ({ id: `U0I${String(i).padStart(4, '0')}`, name: `instant${i}` }));

type Kind = 'get' | 'scale' | 'whoami';

/** One command of the plan, and the Deployment it is about (whoami too, for its place in the mix). */
interface Planned {
  readonly i: number;
  readonly kind: Kind;
  readonly deployment: string;
  readonly namespace: string;
  readonly command: ClientCommand;
}

/**
 * Command i is about Deployment i mod D (so each Deployment gets one every D / rate seconds), its k-th; the kinds
 * take turns per Deployment and across Deployments, so every second carries all three.
 */
function plan(namespaces: readonly string[], count: number): Planned[] {
  return Array.from({ length: count }, (_, i) => {
    const j = i % num.deployments;
    const k = Math.floor(i / num.deployments);
    const kind = (['get', 'scale', 'whoami'] as const)[(j + k) % 3]!;
    const deployment = `ld-${j}`;
    const namespace = namespaces[j % namespaces.length]!;
    const user = users[k % users.length]!;
    const text =
      kind === 'get'
        ? `get pods -n ${namespace} -l app=${deployment}`
        : kind === 'scale'
          ? `scale ${deployment} 1 -n ${namespace}`
          : 'whoami';
    return {
      i,
      kind,
      deployment,
      namespace,
      command: {
        text,
        user: user.id,
        userName: user.name,
        channel,
        channelName: 'instant',
      },
    };
  });
}

/** The Redis server's process, when it runs on this machine (its CPU is part of every command). */
function redisServerPids(): number[] {
  try {
    return execFileSync('pgrep', ['-x', 'redis-server'], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** One KubeApi call a worker made, as role-process reports it. */
interface KubeCall {
  readonly method: string;
  readonly target: string;
  readonly t0: number;
  readonly t1: number;
}

function kubeCalls(procs: BotProcesses): Map<string, KubeCall[]> {
  const byTarget = new Map<string, KubeCall[]>();
  for (const child of procs.values())
    for (const e of child.events) {
      if (e.event !== 'kube') continue;
      const call = {
        method: String(e['method']),
        target: String(e['target']),
        t0: Number(e['t0']),
        t1: Number(e['t1']),
      };
      byTarget.set(call.target, [...(byTarget.get(call.target) ?? []), call]);
    }
  return byTarget;
}

/** The time covered by these intervals within [from, to] (overlaps merged). */
function covered(calls: readonly KubeCall[], from: number, to: number): number {
  const spans = calls
    .map((c) => [Math.max(c.t0, from), Math.min(c.t1, to)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of spans) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

/** A queued command's figures, once its result is in. */
interface Outcome {
  readonly p: Planned;
  readonly ackAt: number;
  readonly job: JobTimes | undefined;
  readonly finalAt: number | undefined;
  readonly finalText: string;
  readonly kubeMs: number;
}

/** Waits until every queued command's root has its final edit (or the timeout); returns the jobs. */
async function waitForFinals(
  emu: SlackEmulator,
  name: string,
  jobIds: readonly string[],
  finals: Finals,
): Promise<Map<string, JobTimes>> {
  const jobs = new Map<string, JobTimes>();
  const deadline = Date.now() + num['timeout-s'] * 1000;
  for (;;) {
    const missing = jobIds.filter((id) => jobs.get(id)?.data?.root?.ts === undefined);
    for (const j of await readJobTimes(benchRedisUrl, name, missing)) jobs.set(j.id, j);
    finals.scan(emu.calls);
    const done = jobIds.filter((id) => finals.byTs.has(jobs.get(id)?.data?.root?.ts ?? '')).length;
    if (done === jobIds.length) break;
    if (Date.now() > deadline) {
      console.log(`  timed out after ${num['timeout-s']} s with ${done}/${jobIds.length} results`);
      break;
    }
    await sleep(250);
  }
  for (const j of await readJobTimes(benchRedisUrl, name, jobIds)) jobs.set(j.id, j);
  return jobs;
}

/** Per Deployment, the results (final root edits) must come in the order the commands were acked. */
function checkOrder(outcomes: readonly Outcome[]): string[] {
  const byDeployment = new Map<string, Outcome[]>();
  for (const o of outcomes) byDeployment.set(o.p.deployment, [...(byDeployment.get(o.p.deployment) ?? []), o]);
  const problems: string[] = [];
  for (const [deployment, list] of byDeployment) {
    const acked = [...list].sort((a, b) => a.ackAt - b.ackAt);
    for (let n = 1; n < acked.length; n++) {
      const [a, b] = [acked[n - 1]!, acked[n]!];
      if ((b.finalAt ?? Infinity) < (a.finalAt ?? Infinity))
        problems.push(
          `${deployment}: command #${b.p.i} (${b.p.kind}) acked after #${a.p.i} (${a.p.kind}) but answered ${((a.finalAt ?? 0) - (b.finalAt ?? 0)).toFixed(0)} ms before it`,
        );
    }
  }
  return problems;
}

function printAcks(
  planned: readonly Planned[],
  report: ClientReport,
  check: (ok: boolean, what: string) => void,
): void {
  const late = report.latencies.filter((ms) => ms > slackAckLimitMs).length;
  const bad = report.answers.filter((a) => a.status !== 200).length;
  check(late === 0 && bad === 0, `every command acked 200 within Slack's 3 s (late ${late}, not 200 ${bad})`);
  console.log(
    `send: ${planned.length} commands in ${report.sendSeconds.toFixed(1)} s (${(planned.length / report.sendSeconds).toFixed(1)}/s open loop); the client's own lag ${describeLatencies(report.sendLags)}`,
  );
  const p99 = quantile(report.latencies, 0.99);
  console.log(
    `ack, from the scheduled send: ${describeLatencies(report.latencies)} — target p99 ≤ ${targets.ackP99Ms} ms: ${p99 <= targets.ackP99Ms ? 'met' : 'MISSED'}`,
  );
  for (const kind of ['get', 'scale', 'whoami'] as const)
    console.log(
      `  ${kind.padEnd(6)} ${describeLatencies(report.latencies.filter((_, i) => planned[i]!.kind === kind))}`,
    );
  const firstSecond = report.latencies.filter((_, i) => i < num.rate);
  console.log(`  the first second alone: ${describeLatencies(firstSecond)}`);
}

function printOutcomes(outcomes: readonly Outcome[], check: (ok: boolean, what: string) => void): void {
  const ended = outcomes.filter((o) => o.finalAt !== undefined);
  const ok = ended.filter((o) => o.finalText.startsWith('✅'));
  check(
    ok.length === outcomes.length,
    `every queued command's root ends ✅: ${ok.length}/${outcomes.length}${ended.length > ok.length ? ` (not ✅: ${ended.find((o) => !o.finalText.startsWith('✅'))?.finalText.slice(0, 160)})` : ''}`,
  );
  const overhead = ended
    .filter((o) => o.job?.timestamp !== undefined)
    .map((o) => o.finalAt! - o.job!.timestamp! - o.kubeMs);
  const p99 = quantile(overhead, 0.99);
  console.log(
    `queue + worker overhead (queue.add → final ✅ edit, minus KubeApi time): ${describeLatencies(overhead)} — target p99 ≤ ${targets.overheadP99Ms} ms: ${p99 <= targets.overheadP99Ms ? 'met' : 'MISSED'}`,
  );
  for (const kind of ['get', 'scale'] as const) {
    const of = ended.filter((o) => o.p.kind === kind && o.job?.timestamp !== undefined);
    console.log(
      `  ${kind.padEnd(6)} overhead ${describeLatencies(of.map((o) => o.finalAt! - o.job!.timestamp! - o.kubeMs))}; KubeApi ${describeLatencies(of.map((o) => o.kubeMs))}`,
    );
  }
  const jobs = ended.map((o) => o.job).filter((j): j is JobTimes => j !== undefined);
  console.log(
    `  queue wait (timestamp → processedOn): ${describeLatencies(jobs.filter((j) => j.processedOn !== undefined && j.timestamp !== undefined).map((j) => j.processedOn! - j.timestamp!))}`,
  );
  console.log(
    `  queue.add → final edit (all of it): ${describeLatencies(ended.filter((o) => o.job?.timestamp !== undefined).map((o) => o.finalAt! - o.job!.timestamp!))}`,
  );
  console.log(`  ack → final edit: ${describeLatencies(ended.map((o) => o.finalAt! - o.ackAt))}`);
  const retried = jobs.filter((j) => j.attemptsMade > 1).length;
  if (retried > 0) console.log(`  retried jobs: ${retried}`);
}

async function main(teardown: Teardown): Promise<boolean> {
  const script = roleScriptFor(usage, str.source);
  console.log(
    `instant-command benchmark: ${num.commands} commands at ${num.rate}/s over ${num.deployments} Deployments in ${num.namespaces} namespace(s), ${num.workers} worker process(es) — ${process.version}, load before ${loadavg()}`,
  );
  const { c, namespaces, emu, name, procs, url } = await startCommandBench(teardown, {
    clusterDir: str['cluster-dir'],
    keepCluster: flag['keep-cluster'],
    source: str.source,
    prefix: 'instant',
    namespaces: num.namespaces,
    deployments: num.deployments,
    workers: num.workers,
    channel,
    users,
    script,
    timeKube: true,
  });
  const client = { url, secret: emu.signingSecret, rate: num.rate, seconds: 0, namespace: namespaces[0]! };
  if (num['warmup-s'] > 0) {
    const warm = plan(namespaces, Math.round(num.rate * num['warmup-s']));
    const w = await runAckClient({ ...client, commands: warm.map((p) => p.command) });
    console.log(`warm-up (not counted): ${warm.length} commands, ack ${describeLatencies(w.latencies)}`);
    // Past the gateway's 5 s repeat guard: the counted commands start with the same texts.
    await sleep(6000);
  }
  const planned = plan(namespaces, num.commands);
  const teamId = emu.workspace.teamId;
  const callsBefore = emu.calls.length;
  console.log(`cluster name ${name}; sending (load ${loadavg()})`);
  // CPU over the run (sending and draining), of every process on the machine that takes part: who is busy.
  const pids = new Map<string, number>([
    ...[...procs].map(([label, child]) => [label, child.pid] as const),
    ...c.state.components.map((component) => [component.name, component.pid] as const),
    ['benchmark (emulator)', process.pid],
    ...redisServerPids().map((pid) => ['redis-server', pid] as const),
  ]);
  const profile = async (event: 'profiling' | 'profiled'): Promise<void> => {
    if (!profileDir) return;
    await Promise.all(
      [...procs.values()].map(async (child) => {
        const since = child.events.length;
        process.kill(child.pid, 'SIGHUP');
        const e = await child.waitFor((x) => x.event === event && child.events.indexOf(x) >= since, 30_000);
        if (event === 'profiled') console.log(`  profile: ${String(e['file'])}`);
      }),
    );
  };
  await profile('profiling');
  const cpuBefore = new Map([...pids].map(([label, pid]) => [label, cpuSeconds(pid)]));
  const runStart = Date.now();
  const report = await runAckClient({ ...client, commands: planned.map((p) => p.command) });

  let allOk = true;
  const check = (ok: boolean, what: string): void => {
    allOk &&= ok;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  };
  const queued = planned.flatMap((p, n) => (p.kind === 'whoami' ? [] : [{ p, answer: report.answers[n]! }]));
  const whoamis = planned.flatMap((p, n) => (p.kind === 'whoami' ? [report.answers[n]!] : []));
  check(
    queued.every((q) => q.answer.body === '') && whoamis.every((a) => a.body.length > 0),
    `get and scale queued (empty ack), whoami answered in the ack: ${queued.filter((q) => q.answer.body === '').length}/${queued.length} queued, ${whoamis.filter((a) => a.body.length > 0).length}/${whoamis.length} answered${queued.some((q) => q.answer.body !== '') ? ` (e.g. ${queued.find((q) => q.answer.body !== '')!.answer.body})` : ''}`,
  );
  const jobIdOf = (q: (typeof queued)[number]): string => jobIdFor(teamId, q.answer.triggerId);
  const finals = new Finals(channel);
  finals.scan(emu.calls.slice(0, callsBefore));
  const jobs = await waitForFinals(emu, name, queued.map(jobIdOf), finals);
  const runSeconds = (Date.now() - runStart) / 1000;
  const cpuUsed = [...pids].map(([label, pid]) => [label, cpuSeconds(pid) - cpuBefore.get(label)!] as const);
  await profile('profiled');
  const counts = await settledQueue(name);
  const locks = [
    ...(await scanKeys(benchRedisUrl, `coxswain:${name}:lock:*`)),
    ...(await scanKeys(benchRedisUrl, `coxswain:${name}:line:*`)),
  ];
  const calls = kubeCalls(procs);
  const outcomes: Outcome[] = queued.map((q) => {
    const job = jobs.get(jobIdOf(q));
    const final = finals.byTs.get(job?.data?.root?.ts ?? '');
    const mine = [...(calls.get(q.p.deployment) ?? []), ...(calls.get(`app=${q.p.deployment}`) ?? [])];
    const kubeMs = job?.timestamp === undefined || final === undefined ? 0 : covered(mine, job.timestamp, final.time);
    return {
      p: q.p,
      ackAt: q.answer.at,
      job,
      finalAt: final?.time,
      finalText: final ? callText(final) : '',
      kubeMs,
    };
  });

  printAcks(planned, report, check);
  printOutcomes(outcomes, check);
  const byMethod = new Map<string, number[]>();
  for (const call of [...calls.values()].flat())
    byMethod.set(call.method, [...(byMethod.get(call.method) ?? []), call.t1 - call.t0]);
  for (const [method, times] of byMethod) console.log(`  KubeApi ${method}: ${describeLatencies(times)}`);
  const order = checkOrder(outcomes);
  check(
    order.length === 0,
    `per-Deployment order: results came in the order acked for ${num.deployments - new Set(order.map((o) => o.split(':')[0])).size}/${num.deployments} Deployments`,
  );
  for (const problem of order.slice(0, 10)) console.log(`       ${problem}`);
  check(finals.reedited.size === 0, `each result told once (roots edited to ✅/❌ twice: ${finals.reedited.size})`);
  const drained =
    (counts['waiting'] ?? 0) + (counts['active'] ?? 0) + (counts['delayed'] ?? 0) + (counts['prioritized'] ?? 0) === 0;
  check(drained, `queue drained: ${JSON.stringify(counts)}`);
  check(locks.length === 0, `no deployment lock or line left: ${locks.length}`);
  console.log(`emulator: ${emu.calls.length - callsBefore} Web API calls during the run`);
  console.log(
    `CPU over the run (${runSeconds.toFixed(1)} s, sending and draining; % of one core): ${cpuUsed
      .sort((a, b) => b[1] - a[1])
      .map(([label, s]) => `${label} ${((s / runSeconds) * 100).toFixed(0)}%`)
      .join(', ')}`,
  );
  console.log(`processes (load after ${loadavg()}):`);
  await reportProcesses(procs);
  return allOk;
}

await runBench('instant', main);
