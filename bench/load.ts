// Benchmark (issue 7, LOAD): 1,000 commands queued at once across 50 Deployments,
// drained by 2 worker processes. The gateway, each worker, the Slack emulator and
// the driver are separate: the gateway and workers are child processes running
// the compiled sources (bench/role-process.ts); the emulator, its signing driver
// and the benchmark's own Deployment watch are in this process. On a private
// test cluster (started here, purged at the end) unless --cluster-dir reuses one.
//
// Each Deployment gets its commands one after another (the next is sent when the
// previous is acked), all Deployments at once: as fast as the gateway acks. Per
// Deployment the k-th command is `deploy` (k % 10 = 4), `rollout restart`
// (k % 10 = 9) or `scale` to 2, 3, 4, 2, … replicas, so consecutive commands
// always change the spec and the sequence of changes the API server applied can
// be compared with the sequence acked.
//
// Checked (exit 1 if any fails): every command acked 200 within 3 s and queued; every thread
// root ends ✅ or ❌ with a reason; per Deployment, the changes the watch saw equal
// the acked commands' changes, in order; no deployment-lock key
// (`coxswain:<cluster>:lock:<ns>/<name>`, src/queue/deployment-lock.ts) left in
// Redis; nothing left waiting or active in the queue.
// Measured: ack latency and send rate; throughput (commands/s, first ack → last
// final root edit); queue wait (BullMQ job `timestamp` → `processedOn`, from
// Redis); run time in the worker; ack → result; lock waits; CPU and peak RSS of
// each process.
import { jobIdFor } from '../src/queue/request-claims.ts';
import type { SlackDriver, SlackEmulator } from '../test/support/slack-emulator/index.ts';
import { callText } from '../test/support/slack-flow.ts';
import { benchRedisUrl, describeLatencies, sleep } from './bench-kit.ts';
import {
  loadavg,
  parseBenchOptions,
  readJobTimes,
  reportProcesses,
  roleScriptFor,
  runSetupUsage,
  scanKeys,
  settledQueue,
  tally,
  Finals,
  runBench,
  startCommandBench,
  usageError,
  type Teardown,
  watchDeployments,
  type BotProcesses,
  type DeploymentWatch,
  type JobTimes,
} from './bench-run.ts';

const usage = `npm run bench:load [-- --commands 1000 --deployments 50 --namespaces 2 --workers 2 --in-flight 8 --timeout-s 900 ${runSetupUsage}]`;
const { num, str, flag } = parseBenchOptions(
  usage,
  {
    commands: { default: 1000, min: 1, integer: true },
    deployments: { default: 50, min: 1, integer: true },
    namespaces: { default: 2, min: 1, integer: true },
    workers: { default: 2, min: 1, integer: true },
    'in-flight': { default: 8, min: 1, integer: true },
    'timeout-s': { default: 900, min: 10 },
  },
  ['cluster-dir', 'source'],
  ['keep-cluster'],
);
if (num.deployments > num.commands)
  usageError(usage, `--deployments (${num.deployments}) must not exceed --commands (${num.commands})`);
if (num.namespaces > num.deployments)
  usageError(usage, `--namespaces (${num.namespaces}) must not exceed --deployments (${num.deployments})`);

const channel = 'C0LOAD';
/** Slack gives up on an ack after 3 s; the driver waits longer, to measure how late a late ack is. */
const slackAckLimitMs = 3000;
const perDeployment = Math.ceil(num.commands / num.deployments);
// A user per position in a Deployment's sequence, so the same text never comes from one user twice (the 5 s repeat
// guard).
const users = Array.from({ length: Math.max(3, perDeployment) }, (_, i) => ({
  id: `U0L${String(i).padStart(4, '0')}`,
  name: `load${i}`,
}));

/** One planned command and what it must change. */
interface Planned {
  readonly deployment: string;
  readonly namespace: string;
  /** Its place in its Deployment's sequence. */
  readonly k: number;
  readonly user: string;
  readonly text: string;
  /** The change the watch must see: "s:3", "d:<image>", "r:<user>". */
  readonly label: string;
}

/** A sent command: when it was acked and how. */
interface Sent extends Planned {
  readonly ackAt: number;
  readonly ackMs: number;
  readonly status: number;
  /** An ephemeral answer means it was not queued (a refusal). */
  readonly ackText: string | undefined;
  readonly jobId: string;
}

function commandAt(j: number, k: number, namespace: string): Planned {
  const deployment = `ld-${j}`;
  const user = users[k % users.length]!.id;
  if (k % 10 === 4) {
    const image = `ghcr.io/acme/${deployment}:1.${k}`;
    return {
      deployment,
      namespace,
      k,
      user,
      text: `deploy ${deployment} ${image} -n ${namespace}`,
      label: `d:${image}`,
    };
  }
  if (k % 10 === 9)
    return {
      deployment,
      namespace,
      k,
      user,
      text: `rollout restart ${deployment} -n ${namespace}`,
      label: `r:${user}`,
    };
  const scalesBefore = k - Math.floor((k + 5) / 10) - Math.floor(k / 10);
  const replicas = 2 + (scalesBefore % 3);
  return {
    deployment,
    namespace,
    k,
    user,
    text: `scale ${deployment} ${replicas} -n ${namespace}`,
    label: `s:${replicas}`,
  };
}

/** The commands per Deployment (lanes), `--commands` in all, spread as evenly as they go. */
function plan(namespaces: readonly string[]): Planned[][] {
  return Array.from({ length: num.deployments }, (_, j) => {
    const count = Math.floor(num.commands / num.deployments) + (j < num.commands % num.deployments ? 1 : 0);
    return Array.from({ length: count }, (_, k) => commandAt(j, k, namespaces[j % namespaces.length]!));
  });
}

/**
 * Sends every lane at once, each lane's commands one after another (the next after the previous ack), with at
 * most --in-flight requests open in all: as fast as the gateway acks them, without queueing requests in its socket.
 */
async function sendAll(slack: SlackDriver, lanes: readonly Planned[][], teamId: string): Promise<Sent[]> {
  const sent: Sent[] = [];
  let open = 0;
  const waiting: (() => void)[] = [];
  const slot = async (): Promise<void> => {
    if (open < num['in-flight']) {
      open++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const free = (): void => {
    const next = waiting.shift();
    if (next) next();
    else open--;
  };
  await Promise.all(
    lanes.map(async (lane) => {
      for (const p of lane) {
        await slot();
        const answer = await slack
          .slashCommand('/k8s', p.text, { user: p.user, channel, timeoutMs: 30_000 })
          .finally(free);
        sent.push({
          ...p,
          ackAt: Date.now(),
          ackMs: answer.ms,
          status: answer.status,
          jobId: jobIdFor(teamId, answer.triggerId),
          ackText: answer.ack ? JSON.stringify(answer.ack).slice(0, 200) : undefined,
        });
      }
    }),
  );
  return sent;
}

/**
 * Waits until every command that was not refused has its final root edit; returns the job records read from Redis.
 * A command whose ack came late or not at all may still have been queued: its job (id from its trigger_id) is looked
 * for too.
 */
async function waitForResults(
  emu: SlackEmulator,
  name: string,
  sent: readonly Sent[],
  finals: Finals,
): Promise<Map<string, JobTimes>> {
  const jobs = new Map<string, JobTimes>();
  const notRefused = sent.filter((s) => s.ackText === undefined);
  const started = Date.now();
  const deadline = started + num['timeout-s'] * 1000;
  let lastReport = Date.now();
  for (;;) {
    const missing = notRefused.filter((s) => jobs.get(s.jobId)?.data?.root?.ts === undefined).map((s) => s.jobId);
    for (const j of await readJobTimes(benchRedisUrl, name, missing)) jobs.set(j.id, j);
    // Unanswered requests whose job has not appeared within 30 s were never queued.
    const queued = notRefused.filter(
      (s) => s.status === 200 || jobs.get(s.jobId)?.timestamp !== undefined || Date.now() - started < 30_000,
    );
    finals.scan(emu.calls);
    const done = queued.filter((s) => finals.byTs.has(jobs.get(s.jobId)?.data?.root?.ts ?? '')).length;
    if (done === queued.length) break;
    if (Date.now() > deadline) {
      console.log(`  timed out after ${num['timeout-s']} s with ${done}/${queued.length} results`);
      break;
    }
    if (Date.now() - lastReport >= 15_000) {
      lastReport = Date.now();
      console.log(`  … ${done}/${queued.length} results (load ${loadavg()})`);
    }
    await sleep(500);
  }
  // Once more, for the times of the last attempts and the jobs' end.
  for (const j of await readJobTimes(
    benchRedisUrl,
    name,
    notRefused.map((s) => s.jobId),
  ))
    jobs.set(j.id, j);
  return jobs;
}

/** Per Deployment: the changes the watch saw against the acked commands' changes. Returns the problems found. */
function checkOrder(sent: readonly Sent[], watch: DeploymentWatch, outcome: (s: Sent) => string): string[] {
  const problems: string[] = [];
  const byDeployment = new Map<string, Sent[]>();
  for (const s of sent)
    byDeployment.set(`${s.namespace}/${s.deployment}`, [
      ...(byDeployment.get(`${s.namespace}/${s.deployment}`) ?? []),
      s,
    ]);
  for (const [key, list] of byDeployment) {
    const acked = [...list].sort((a, b) => a.ackAt - b.ackAt);
    const expected = acked.filter((s) => outcome(s) === '✅').map((s) => s.label);
    const observed = (watch.changes.get(key) ?? []).map((c) => c.label);
    if (expected.join(' ') === observed.join(' ')) continue;
    const at = expected.findIndex((label, i) => observed[i] !== label);
    const i = at === -1 ? expected.length : at;
    const failed = acked.filter((s) => outcome(s) !== '✅').length;
    problems.push(
      `${key}: ${expected.length} changes expected, ${observed.length} seen; first difference at #${i}: expected ${expected[i] ?? '(none)'}, saw ${observed[i] ?? '(none)'}` +
        ` — acked ${expected.slice(Math.max(0, i - 2), i + 3).join(' ')} | applied ${observed.slice(Math.max(0, i - 2), i + 3).join(' ')}${failed > 0 ? ` (${failed} of its commands ended ❌: inconclusive)` : ''}`,
    );
  }
  return problems;
}

/** The final state must be the last command's: replicas of the last scale, image of the last deploy. */
function checkFinalState(sent: readonly Sent[], watch: DeploymentWatch): string[] {
  const problems: string[] = [];
  for (const [key, state] of watch.current) {
    const acked = sent.filter((s) => `${s.namespace}/${s.deployment}` === key).sort((a, b) => a.ackAt - b.ackAt);
    const lastScale = acked
      .filter((s) => s.label.startsWith('s:'))
      .at(-1)
      ?.label.slice(2);
    const lastImage = acked
      .filter((s) => s.label.startsWith('d:'))
      .at(-1)
      ?.label.slice(2);
    if (lastScale !== undefined && String(state.replicas) !== lastScale)
      problems.push(`${key}: ${state.replicas} replicas at the end, the last scale acked said ${lastScale}`);
    if (lastImage !== undefined && state.image !== lastImage)
      problems.push(`${key}: image ${state.image} at the end, the last deploy acked said ${lastImage}`);
  }
  return problems;
}

interface Figures {
  readonly sent: Sent[];
  readonly jobs: Map<string, JobTimes>;
  readonly finals: Finals;
  readonly sendStart: number;
  readonly watch: DeploymentWatch;
}

function outcomeOf(f: Figures): (s: Sent) => string {
  return (s) => {
    const ts = f.jobs.get(s.jobId)?.data?.root?.ts;
    const final = ts === undefined ? undefined : f.finals.byTs.get(ts);
    if (!final) return 'none';
    const text = callText(final);
    if (text.startsWith('✅')) return '✅';
    return /failed( after [^:]+)?: \S/u.test(text) ? '❌' : '❌ without a reason';
  };
}

function printFigures(f: Figures, check: (ok: boolean, what: string) => void): void {
  const { sent, jobs, finals } = f;
  const firstAck = Math.min(...sent.map((s) => s.ackAt));
  const lastAck = Math.max(...sent.map((s) => s.ackAt));
  const refused = sent.filter((s) => s.status !== 200 || s.ackText !== undefined || s.ackMs > slackAckLimitMs);
  console.log(
    `\nsend: ${sent.length} commands in ${((lastAck - f.sendStart) / 1000).toFixed(1)} s (${(sent.length / ((lastAck - f.sendStart) / 1000)).toFixed(0)}/s, at most ${num['in-flight']} open at a time); ack ${describeLatencies(sent.map((s) => s.ackMs))}`,
  );
  const why = (s: Sent): string =>
    s.status !== 200 ? `status ${s.status}` : s.ackText !== undefined ? `refused: ${s.ackText}` : 'acked after 3 s';
  check(
    refused.length === 0,
    `every command acked 200 within Slack's 3 s, and queued (${sent.length - refused.length}/${sent.length}${refused.length > 0 ? `; not: ${tally(refused.map(why))}` : ''})`,
  );
  const outcome = outcomeOf(f);
  const outcomes = sent.map(outcome);
  const ok = outcomes.filter((x) => x === '✅').length;
  const failed = sent
    .filter((s) => outcome(s) === '❌')
    .map((s) =>
      callText(f.finals.byTs.get(f.jobs.get(s.jobId)?.data?.root?.ts ?? '')!).replace(
        /^.*?failed( after [^:]+)?: /u,
        '',
      ),
    );
  check(
    outcomes.every((x) => x === '✅' || x === '❌'),
    `every thread root ends ✅ or ❌ with a reason: ✅ ${ok}, ❌ ${failed.length}${failed.length > 0 ? ` (${tally(failed, 5)})` : ''}, neither ${outcomes.filter((x) => x !== '✅' && x !== '❌').length}`,
  );
  const resultTimes = [...finals.byTs.values()].map((c) => c.time);
  const lastResult = Math.max(...resultTimes);
  const seconds = (lastResult - firstAck) / 1000;
  console.log(
    `throughput: ${(resultTimes.length / seconds).toFixed(1)} commands/s (${resultTimes.length} results from the first ack to the last result, ${seconds.toFixed(1)} s)`,
  );
  const times = [...jobs.values()];
  const wait = times
    .filter((j) => j.timestamp !== undefined && j.processedOn !== undefined)
    .map((j) => j.processedOn! - j.timestamp!);
  const run = times
    .filter((j) => j.processedOn !== undefined && j.finishedOn !== undefined)
    .map((j) => j.finishedOn! - j.processedOn!);
  console.log(`queue wait (BullMQ timestamp → processedOn): ${describeLatencies(wait)}`);
  console.log(`in the worker (processedOn → finishedOn, lock wait included): ${describeLatencies(run)}`);
  const ackToResult = sent
    .map((s) => (finals.byTs.get(jobs.get(s.jobId)?.data?.root?.ts ?? '')?.time ?? Number.NaN) - s.ackAt)
    .filter(Number.isFinite);
  console.log(`ack → result (final root edit): ${describeLatencies(ackToResult)}`);
  const cluster = [...f.watch.changes.values()]
    .flat()
    .filter((c) => c.completeAt !== undefined)
    .map((c) => c.completeAt! - c.t);
  console.log(`cluster alone (the benchmark's watch: spec change → rollout complete): ${describeLatencies(cluster)}`);
  console.log(
    `lock waits: ${finals.waited.size} roots showed "waiting for … locked by …"; retried jobs: ${times.filter((j) => j.attemptsMade > 1).length}`,
  );
}

/**
 * When each job took its Deployment's lock: the worker's `job.started` audit record (written right after), by job id.
 */
function lockTakenAt(procs: BotProcesses): Map<string, number> {
  const at = new Map<string, number>();
  for (const child of procs.values()) {
    for (const e of child.events) {
      const audit = (e['fields'] as { audit?: { kind?: string; jobId?: string } } | undefined)?.audit;
      if (e.event === 'log' && audit?.kind === 'job.started' && audit.jobId && !at.has(audit.jobId))
        at.set(audit.jobId, e.t);
    }
  }
  return at;
}

/**
 * Where the order of one Deployment's commands was lost: for each two commands acked one after the other,
 * whether the later one was enqueued first (gateway, after the ack), moved to active first (BullMQ), or
 * took the lock first (worker: the lock's waiters poll every 250 ms, the first to find it free wins).
 */
function orderDiagnosis(
  sent: readonly Sent[],
  jobs: ReadonlyMap<string, JobTimes>,
  locked: ReadonlyMap<string, number>,
): string {
  let pairs = 0;
  const inverted = { enqueued: 0, started: 0, locked: 0 };
  const later = (a: number | undefined, b: number | undefined): boolean => (b ?? 0) < (a ?? 0);
  const byDeployment = new Map<string, Sent[]>();
  for (const s of sent)
    byDeployment.set(`${s.namespace}/${s.deployment}`, [
      ...(byDeployment.get(`${s.namespace}/${s.deployment}`) ?? []),
      s,
    ]);
  for (const list of byDeployment.values()) {
    const acked = [...list]
      .sort((a, b) => a.ackAt - b.ackAt)
      .map((s) => ({ job: jobs.get(s.jobId), locked: locked.get(s.jobId) }));
    for (let i = 1; i < acked.length; i++) {
      const [a, b] = [acked[i - 1]!, acked[i]!];
      pairs++;
      if (later(a.job?.timestamp, b.job?.timestamp)) inverted.enqueued++;
      if (later(a.job?.processedOn, b.job?.processedOn)) inverted.started++;
      if (later(a.locked, b.locked)) inverted.locked++;
    }
  }
  return (
    `of ${pairs} pairs of commands acked one after the other for one Deployment, the later one was enqueued first in ${inverted.enqueued}, ` +
    `moved to active first in ${inverted.started}, took the lock first in ${inverted.locked} (job.started records seen for ${locked.size} jobs)`
  );
}

async function main(teardown: Teardown): Promise<boolean> {
  const script = roleScriptFor(usage, str.source);
  console.log(
    `load benchmark: ${num.commands} commands over ${num.deployments} Deployments in ${num.namespaces} namespace(s), ${num.workers} worker process(es) — ${process.version}, load before ${loadavg()}`,
  );
  const { c, namespaces, emu, name, procs, url } = await startCommandBench(teardown, {
    clusterDir: str['cluster-dir'],
    keepCluster: flag['keep-cluster'],
    source: str.source,
    prefix: 'load',
    namespaces: num.namespaces,
    deployments: num.deployments,
    workers: num.workers,
    channel,
    users,
    script,
  });
  const watch = await watchDeployments(c.admin, namespaces);
  teardown.add('stop the Deployment watch', () => Promise.resolve(watch.stop()));
  const slack = emu.driver(url);

  console.log(`cluster name ${name}; namespaces ${namespaces.join(', ')}; sending (load ${loadavg()})`);
  const sendStart = Date.now();
  const sent = await sendAll(slack, plan(namespaces), emu.workspace.teamId);
  const finals = new Finals(channel);
  const jobs = await waitForResults(emu, name, sent, finals);
  const counts = await settledQueue(name);
  // Lock keys are leaks only once nothing runs any more.
  const locks = [
    ...(await scanKeys(benchRedisUrl, `coxswain:${name}:lock:*`)),
    ...(await scanKeys(benchRedisUrl, `coxswain:${name}:line:*`)),
  ];
  await sleep(1000);
  watch.stop();

  let allOk = true;
  const check = (ok: boolean, what: string): void => {
    allOk &&= ok;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  };
  const f: Figures = { sent, jobs, finals, sendStart, watch };
  printFigures(f, check);
  const order = checkOrder(sent, watch, outcomeOf(f));
  check(
    order.length === 0,
    `per-Deployment order: the changes applied equal the commands acked, in order, for ${num.deployments - order.length}/${num.deployments} Deployments` +
      ` (watch resumed ${watch.restarts.errors}× after errors, ${watch.restarts.gone}× 410 Gone)`,
  );
  for (const problem of order.slice(0, 10)) console.log(`       ${problem}`);
  console.log(`     order, stage by stage: ${orderDiagnosis(sent, jobs, lockTakenAt(procs))}`);
  const finalState = checkFinalState(sent, watch);
  check(
    finalState.length === 0,
    `final state = the last command's for every Deployment${finalState.length > 0 ? `: ${finalState.slice(0, 5).join('; ')}` : ''}`,
  );
  const drained =
    (counts['waiting'] ?? 0) + (counts['active'] ?? 0) + (counts['delayed'] ?? 0) + (counts['prioritized'] ?? 0) === 0;
  check(
    drained && locks.length === 0,
    `${drained ? '' : '(queue not drained: cannot tell) '}no deployment lock or line left in Redis (coxswain:${name}:lock:*, :line:*): ${locks.length}${locks.length > 0 ? ` — ${locks.slice(0, 5).join(', ')}` : ''}`,
  );
  check(drained, `queue drained: ${JSON.stringify(counts)}`);
  console.log(
    `emulator: ${emu.calls.length} Web API calls; warnings other than channel_rate: ${tally(emu.blockKitWarnings.map((w) => w.code))}`,
  );
  console.log(`processes (load after ${loadavg()}):`);
  await reportProcesses(procs);
  return allOk;
}

await runBench('load', main);
