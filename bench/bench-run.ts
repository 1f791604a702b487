// What bench/load.ts and bench/soak.ts share: options with clear errors, a
// teardown that also runs on Ctrl-C, the bot's roles in child processes
// (bench/role-process.ts) on a private or reused test cluster, the benchmark's
// own watch of Deployments, BullMQ's job times read from Redis, and a
// least-squares slope.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SlackEmulator, type RecordedCall } from '../test/support/slack-emulator/index.ts';
import { callText } from '../test/support/slack-flow.ts';
import {
  benchCluster,
  compileForBench,
  deleteNamespaceNow,
  ensureNamespace,
  roleOptions,
  spawnRole,
  type BenchCluster,
  type RoleChild,
} from './alerts-kit.ts';
import { benchDeployment, benchRedisUrl, deleteBotKeys, sleep } from './bench-kit.ts';
import type { RoleProcessOptions } from './role-process.ts';

/** A numeric option: its default and bounds; `integer` refuses fractions. */
export interface NumberOption {
  readonly default: number;
  readonly min: number;
  readonly integer?: boolean;
}

/** Parsed options: numbers, strings (undefined when not given) and booleans. */
export interface BenchOptions<N extends string, S extends string, B extends string> {
  readonly num: Record<N, number>;
  readonly str: Record<S, string | undefined>;
  readonly flag: Record<B, boolean>;
}

/** Prints `error: …` and the usage on stderr and exits 2 (a bad option is not a failed benchmark). */
export function usageError(usage: string, message: string): never {
  process.stderr.write(`error: ${message}\n\nusage: ${usage}\n`);
  process.exit(2);
}

function checkNumber(name: string, raw: string, spec: NumberOption): number | string {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) return `--${name} must be a number, not "${raw}"`;
  if (spec.integer === true && !Number.isInteger(n)) return `--${name} must be a whole number, not ${raw}`;
  if (n < spec.min) return `--${name} must be ≥ ${spec.min}, not ${raw}`;
  return n;
}

/**
 * `--name value` options (numbers with bounds, free strings) and `--flag` booleans; `--help` prints the usage.
 * Unknown options, positionals and out-of-range values exit 2 with the usage.
 */
export function parseBenchOptions<N extends string, S extends string, B extends string>(
  usage: string,
  numbers: Readonly<Record<N, NumberOption>>,
  strings: readonly S[],
  flags: readonly B[],
): BenchOptions<N, S, B> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const key of [...Object.keys(numbers), ...strings]) options[key] = { type: 'string' };
  for (const key of flags) options[key] = { type: 'boolean' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false }));
  } catch (error) {
    return usageError(usage, (error as Error).message);
  }
  if (values['help'] === true) {
    process.stdout.write(`usage: ${usage}\n`);
    process.exit(0);
  }
  const num = {} as Record<N, number>;
  for (const key of Object.keys(numbers) as N[]) {
    const raw = values[key];
    const checked = typeof raw === 'string' ? checkNumber(key, raw, numbers[key]) : numbers[key].default;
    if (typeof checked === 'string') usageError(usage, checked);
    num[key] = checked;
  }
  const str = Object.fromEntries(strings.map((key) => [key, values[key] as string | undefined])) as Record<
    S,
    string | undefined
  >;
  const flag = Object.fromEntries(flags.map((key) => [key, values[key] === true])) as Record<B, boolean>;
  return { num, str, flag };
}

/** The 1-, 5- and 15-minute load averages, e.g. "2.31 1.80 1.52". */
export const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/**
 * Cleanup steps, run once in reverse order of registration: at the end of the run,
 * on an error, or on Ctrl-C / SIGTERM (then the process exits 130). A second
 * Ctrl-C abandons the cleanup.
 */
export class Teardown {
  readonly #steps: { readonly what: string; readonly run: () => Promise<unknown> }[] = [];
  #running: Promise<void> | undefined;
  #interrupted = false;

  /** True once Ctrl-C or SIGTERM arrived: the main flow's errors from then on are the cleanup's doing. */
  get interrupted(): boolean {
    return this.#interrupted;
  }

  add(what: string, run: () => Promise<unknown>): void {
    this.#steps.push({ what, run });
  }

  run(): Promise<void> {
    this.#running ??= (async () => {
      for (const step of [...this.#steps].reverse()) {
        try {
          await step.run();
        } catch (error) {
          process.stderr.write(`cleanup: ${step.what} failed: ${(error as Error).message}\n`);
        }
      }
    })();
    return this.#running;
  }

  /** Ctrl-C and SIGTERM clean up and exit 130. */
  installSignals(): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.#interrupted) {
        process.stderr.write(`${signal} again: exiting without finishing the cleanup\n`);
        process.exit(130);
      }
      this.#interrupted = true;
      process.stderr.write(`\n${signal}: cleaning up (child processes, namespaces, Redis keys, cluster)…\n`);
      void this.run().finally(() => process.exit(130));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
}

/** The options every run of load and soak shares: where the cluster is and what the role processes run. */
export interface RunSetupOptions {
  /**
   * Reuse the (kept) cluster in this directory; `/tmp/coxswain-test-cluster` is the shared one. Default: a private one.
   */
  readonly clusterDir: string | undefined;
  readonly keepCluster: boolean;
  /** 'compiled' (as the image ships; default) or 'ts'. */
  readonly source: string | undefined;
}

/** The usage text of RunSetupOptions. */
export const runSetupUsage =
  '--cluster-dir DIR (reuse a kept cluster; the shared one is /tmp/coxswain-test-cluster) --keep-cluster --source compiled|ts';

/**
 * Checks --source; compiles the sources when the role processes run them compiled. Returns the role script, or
 * undefined for TypeScript.
 */
export function roleScriptFor(usage: string, source: string | undefined): string | undefined {
  if (source !== undefined && source !== 'compiled' && source !== 'ts')
    usageError(usage, `--source must be compiled or ts, not "${source}"`);
  return source === 'ts' ? undefined : compileForBench();
}

/** Starts (or reuses) the cluster and registers its stop. */
export async function openCluster(teardown: Teardown, o: RunSetupOptions): Promise<BenchCluster> {
  const c = await benchCluster({ ...(o.clusterDir ? { dir: o.clusterDir } : {}), keep: o.keepCluster });
  teardown.add('stop the cluster', () => c.close());
  return c;
}

/** What to start: a role with a label ("worker-2") and its extra environment. */
export interface RoleSpec {
  readonly label: string;
  readonly role: RoleProcessOptions['role'];
  /** Node flags, e.g. shippedNodeFlags(role). Default none. */
  readonly nodeFlags?: readonly string[];
}

/**
 * The Node flags a role ships with: its Deployment's `command:` between the node binary and the script (the split
 * gateway's --no-maglev, the watcher's --optimize-for-size); none for a role whose manifest sets no command. `all`
 * is deploy/base's Deployment, the others deploy/overlays/split's.
 */
export function shippedNodeFlags(role: RoleProcessOptions['role']): string[] {
  const file = role === 'all' ? '../deploy/base/deployment.yaml' : `../deploy/overlays/split/${role}.yaml`;
  const manifest = readFileSync(new URL(file, import.meta.url), 'utf8');
  const command =
    /^\s*command: \[(.*)\]$/mu
      .exec(manifest)?.[1]
      ?.split(',')
      .map((part) => part.trim()) ?? [];
  return command.slice(1, -1);
}

/** The bot's role processes, by label. */
export type BotProcesses = ReadonlyMap<string, RoleChild>;

/** Options of startBotProcesses. */
export interface StartBotOptions {
  readonly c: BenchCluster;
  readonly emu: SlackEmulator;
  /** The bot's cluster name: its queue, Redis keys and Lease. */
  readonly name: string;
  readonly policyFile: string;
  readonly roles: readonly RoleSpec[];
  /** The compiled role-process.js, or undefined for the TypeScript. */
  readonly script: string | undefined;
  readonly env?: Readonly<Record<string, string>>;
  readonly quiet?: string[];
  /** The workers report every KubeApi call, timed (role-process's `timeKube`). */
  readonly timeKube?: boolean;
}

/**
 * Starts each role in a child process of its own, registering first the removal of
 * the bot's Redis keys (`coxswain:<name>:*` and the alert queue's `coxswain:<name>.alerts:*`)
 * and its watcher Lease, then each child's stop, so the children stop before the keys go.
 */
export async function startBotProcesses(teardown: Teardown, o: StartBotOptions): Promise<BotProcesses> {
  teardown.add("delete the bot's Redis keys and Lease", async () => {
    await deleteBotKeys(benchRedisUrl, o.name);
    await deleteBotKeys(benchRedisUrl, `${o.name}.alerts`);
    await o.c.admin
      .makeApiClient(k8s.CoordinationV1Api)
      .deleteNamespacedLease({ name: `coxswain-watcher-${o.name}`, namespace: 'coxswain' })
      .catch(() => undefined);
  });
  const children = new Map<string, RoleChild>();
  for (const spec of o.roles) {
    const options = {
      ...roleOptions(spec.role, o.emu, o.c.state, {
        cluster: o.name,
        policyFile: o.policyFile,
        ...(o.quiet ? { quiet: o.quiet } : {}),
      }),
      ...(o.env ? { env: o.env } : {}),
      ...(o.timeKube ? { timeKube: true } : {}),
    };
    const child = await spawnRole(options, spec.nodeFlags ?? [], o.script);
    children.set(spec.label, child);
    teardown.add(`stop the ${spec.label} process`, () => child.stop());
  }
  return children;
}

/** Waits until `want` Deployments in these namespaces have all their replicas available; throws after `timeoutMs`. */
export async function waitForAvailable(
  c: BenchCluster,
  namespaces: readonly string[],
  want: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lists = await Promise.all(namespaces.map((namespace) => c.apps.listNamespacedDeployment({ namespace })));
    const available = lists
      .flatMap((l) => l.items)
      .filter((d) => (d.status?.availableReplicas ?? 0) === (d.spec?.replicas ?? 1)).length;
    if (available >= want) return;
    if (Date.now() > deadline)
      throw new Error(`only ${available} of ${want} Deployments became available within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Deployments `ld-0…` (1 healthy kwok replica each) spread over these namespaces, once all are available. */
export async function createBenchDeployments(
  c: BenchCluster,
  namespaces: readonly string[],
  count: number,
): Promise<void> {
  for (let j = 0; j < count; j++) {
    const namespace = namespaces[j % namespaces.length]!;
    await c.apps.createNamespacedDeployment({ namespace, body: benchDeployment(`ld-${j}`, { replicas: 1 }) });
  }
  await waitForAvailable(c, namespaces, count, 180_000);
}

/** Stops each role process and prints its CPU, peak RSS and the warnings/errors it logged. */
export async function reportProcesses(procs: BotProcesses): Promise<void> {
  for (const [label, child] of procs) {
    const problems = problemsLogged(child);
    const report = await child.stop();
    const figure = (key: string): string => (typeof report?.[key] === 'number' ? String(report[key]) : '?');
    console.log(
      `  ${label}: CPU ${figure('cpuMs')} ms, peak RSS ${figure('maxRssMiB')} MiB; warnings/errors logged: ${tally(problems, 4)}`,
    );
  }
}

/** Options of startCommandBench. */
export interface CommandBenchOptions extends RunSetupOptions {
  /** Names the namespaces (`<prefix>-<id>-<i>`) and the bot's cluster (`<prefix>-<id>`). */
  readonly prefix: string;
  readonly namespaces: number;
  readonly deployments: number;
  readonly workers: number;
  /** The one channel the commands come from, and who may send them. */
  readonly channel: string;
  readonly users: readonly { readonly id: string; readonly name: string }[];
  /** The compiled role-process.js, or undefined for the TypeScript. */
  readonly script: string | undefined;
  readonly timeKube?: boolean;
}

/** What startCommandBench set up, all of it undone by the teardown. */
export interface CommandBench {
  readonly c: BenchCluster;
  readonly namespaces: readonly string[];
  readonly emu: SlackEmulator;
  /** The bot's cluster name: its queue and Redis keys. */
  readonly name: string;
  readonly procs: BotProcesses;
  /** The gateway's Slack endpoint. */
  readonly url: string;
}

/**
 * The command benchmarks' stage (bench:load, bench:instant): a private or reused test cluster, Deployments `ld-0…`
 * spread over fresh namespaces, the Slack emulator with one channel, and the gateway and `workers` worker processes
 * (shipped Node flags, the permissive test policy, log level info).
 */
export async function startCommandBench(teardown: Teardown, o: CommandBenchOptions): Promise<CommandBench> {
  const c = await openCluster(teardown, o);
  const id = randomBytes(3).toString('hex');
  const namespaces = Array.from({ length: o.namespaces }, (_, i) => `${o.prefix}-${id}-${i}`);
  for (const namespace of namespaces) {
    teardown.add(`delete namespace ${namespace}`, () => deleteNamespaceNow(c, namespace));
    await ensureNamespace(c.core, namespace, c.admin);
  }
  await createBenchDeployments(c, namespaces, o.deployments);
  // Many commands a second into one channel is far over Slack's 1/s guidance: a capacity test, not a usage pattern.
  const emu = await SlackEmulator.start({
    users: [...o.users],
    channels: [{ id: o.channel, name: o.prefix, members: ['U0BOT', ...o.users.map((u) => u.id)] }],
    allowWarnings: ['channel_rate'],
  });
  teardown.add('stop the Slack emulator', () => emu.stop());
  const name = `${o.prefix}-${id}`;
  const procs = await startBotProcesses(teardown, {
    c,
    emu,
    name,
    policyFile: fileURLToPath(new URL('../test/support/policies/everyone-everything.yaml', import.meta.url)),
    roles: [
      ...Array.from({ length: o.workers }, (_, i) => ({
        label: `worker-${i + 1}`,
        role: 'worker' as const,
        nodeFlags: shippedNodeFlags('worker'),
      })),
      { label: 'gateway', role: 'gateway' as const, nodeFlags: shippedNodeFlags('gateway') },
    ],
    script: o.script,
    env: { COXSWAIN_LOG_LEVEL: 'info' },
    ...(o.timeKube ? { timeKube: true } : {}),
  });
  const url = `http://127.0.0.1:${portOf(procs.get('gateway')!)}/slack/events`;
  return { c, namespaces, emu, name, procs, url };
}

/**
 * Runs a benchmark's main with its teardown (also on Ctrl-C), prints the verdict and exits 0 when it returned true.
 */
export async function runBench(
  label: string,
  main: (teardown: Teardown) => Promise<boolean>,
  verdicts: { readonly ok: string; readonly failed: string } = {
    ok: 'all checks passed',
    failed: 'CHECKS FAILED',
  },
): Promise<never> {
  const teardown = new Teardown();
  teardown.installSignals();
  let ok = false;
  try {
    ok = await main(teardown);
  } catch (error) {
    if (!teardown.interrupted) console.error(`${label} benchmark failed: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await teardown.run();
  }
  console.log(`${label}: ${ok ? verdicts.ok : verdicts.failed}`);
  process.exit(ok ? 0 : 1);
}

/** The port a role process reported when it started (the gateway's HTTP port). */
export function portOf(child: RoleChild): number {
  const started = child.events.find((e) => e.event === 'started');
  const port = Number(started?.['port']);
  if (!Number.isInteger(port) || port <= 0) throw new Error('the role process reported no port');
  return port;
}

/** Log lines at warn or error a role process wrote, as "level message". */
export function problemsLogged(child: RoleChild): string[] {
  return child.events
    .filter((e) => e.event === 'log' && (e['level'] === 'warn' || e['level'] === 'error'))
    .map((e) => `${String(e['level'])} ${String(e['message'])}`);
}

/** Counts equal strings: "3× a; 1× b". */
export function tally(xs: readonly string[], limit = 8): string {
  const counts = new Map<string, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  const parts = [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([x, n]) => `${n}× ${x}`);
  return parts.length === 0
    ? 'none'
    : parts.join('; ') + (counts.size > limit ? `; … (${counts.size - limit} more kinds)` : '');
}

/**
 * The final (✅/❌) edit of each thread root in one channel, by its ts, from the emulator's record (incrementally).
 * One channel, because a ts is unique only within its channel (in Slack as in the emulator): an alert's "✅ Recovered"
 * edit in another channel may carry the ts of a command's root.
 */
export class Finals {
  readonly channel: string;
  constructor(channel: string) {
    this.channel = channel;
  }
  readonly byTs = new Map<string, RecordedCall>();
  /** The first ✅/❌ edit of each root (byTs holds the last). */
  readonly firstByTs = new Map<string, RecordedCall>();
  /** Roots edited to ✅/❌ more than once (a job's result is told once: expected none). */
  readonly reedited = new Set<string>();
  /** Roots that were edited to "waiting for … locked by …" at least once. */
  readonly waited = new Set<string>();
  #seen = 0;

  scan(calls: readonly RecordedCall[]): void {
    for (; this.#seen < calls.length; this.#seen++) {
      const call = calls[this.#seen]!;
      if (call.method !== 'chat.update' || call.status !== 200 || call.params['channel'] !== this.channel) continue;
      const ts = String(call.params['ts']);
      const text = callText(call);
      if (/^[✅❌]/u.test(text)) {
        this.byTs.set(ts, call);
        if (!this.firstByTs.has(ts)) this.firstByTs.set(ts, call);
        else this.reedited.add(ts);
      } else if (text.includes('waiting for')) this.waited.add(ts);
    }
  }
}

// ───────────── Redis ─────────────

/** Keys matching a pattern (SCAN, bounded to 1000 rounds). */
export async function scanKeys(redisUrl: string, pattern: string): Promise<string[]> {
  const redis = new Redis(redisUrl);
  const found: string[] = [];
  try {
    let cursor = '0';
    for (let round = 0; round < 1000; round++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
  return found;
}

/** Waits (≤ 15 s) for a queue to have nothing waiting, active or delayed; returns its counts. */
export async function settledQueue(name: string): Promise<Record<string, number>> {
  const connection = new Redis(benchRedisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection, prefix: 'coxswain' });
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
      const busy =
        (counts['waiting'] ?? 0) + (counts['active'] ?? 0) + (counts['delayed'] ?? 0) + (counts['prioritized'] ?? 0);
      if (busy === 0 || Date.now() > deadline) return counts;
      await sleep(250);
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** What BullMQ keeps of a job in its hash: when it was added, last started and finished, and its data. */
export interface JobTimes {
  readonly id: string;
  /** queue.add (the gateway's clock, ms). */
  readonly timestamp?: number;
  /** The last attempt moved to active (the worker's clock, ms). */
  readonly processedOn?: number;
  readonly finishedOn?: number;
  readonly attemptsMade: number;
  readonly failedReason?: string;
  /** The job payload (JSON), e.g. its thread root. */
  readonly data?: { readonly root?: { readonly ts?: string } };
}

const optionalNumber = (raw: string | null | undefined): number | undefined =>
  raw === null || raw === undefined || raw === '' ? undefined : Number(raw);

/** Reads the hashes `coxswain:<queue>:<id>` of these jobs (pipelined); a job not (yet) there has no fields. */
export async function readJobTimes(redisUrl: string, queue: string, ids: readonly string[]): Promise<JobTimes[]> {
  const redis = new Redis(redisUrl);
  try {
    const out: JobTimes[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const pipeline = redis.pipeline();
      for (const id of chunk)
        pipeline.hmget(
          `coxswain:${queue}:${id}`,
          'timestamp',
          'processedOn',
          'finishedOn',
          'attemptsMade',
          'failedReason',
          'data',
        );
      const results = (await pipeline.exec()) ?? [];
      chunk.forEach((id, j) => {
        const [ts, processed, finished, attempts, failed, data] = (results[j]?.[1] ?? []) as (string | null)[];
        out.push({
          id,
          attemptsMade: Number(attempts ?? 0),
          ...(optionalNumber(ts) === undefined ? {} : { timestamp: Number(ts) }),
          ...(optionalNumber(processed) === undefined ? {} : { processedOn: Number(processed) }),
          ...(optionalNumber(finished) === undefined ? {} : { finishedOn: Number(finished) }),
          ...(failed ? { failedReason: failed } : {}),
          ...(data ? { data: JSON.parse(data) as JobTimes['data'] } : {}),
        });
      });
    }
    return out;
  } finally {
    redis.disconnect();
  }
}

// ───────────── the benchmark's own Deployment watch ─────────────

/** What a command can change in a Deployment, as the watch sees it. */
export interface DeploymentSpecState {
  readonly replicas: number;
  readonly image: string;
  readonly restartedAt: string;
  readonly changeCause: string;
}

/** One change of a Deployment's spec seen by the watch: "s:3" (replicas), "d:<image>", "r:U0…" (a restart, by whom). */
export interface SpecChange {
  readonly label: string;
  readonly resourceVersion: string;
  /** Date.now() when the event reached this process. */
  readonly t: number;
  /** Date.now() when the Deployment's status next said its rollout was complete (kubectl's rule). */
  completeAt?: number;
}

/** kubectl's rule: the controller saw this generation and every replica is updated and available, none old. */
function rolloutComplete(d: k8s.V1Deployment): boolean {
  const want = d.spec?.replicas ?? 0;
  const s = { observedGeneration: 0, updatedReplicas: 0, availableReplicas: 0, replicas: 0, ...d.status };
  return (
    s.observedGeneration >= (d.metadata?.generation ?? 0) &&
    s.updatedReplicas === want &&
    s.availableReplicas === want &&
    s.replicas === want
  );
}

function stateOf(d: k8s.V1Deployment): DeploymentSpecState {
  return {
    replicas: d.spec?.replicas ?? 0,
    image: d.spec?.template.spec?.containers[0]?.image ?? '',
    restartedAt: d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'] ?? '',
    changeCause: d.metadata?.annotations?.['kubernetes.io/change-cause'] ?? '',
  };
}

/** The changes from `a` to `b` a command makes: at most one each of scale, image, restart. */
function changesBetween(a: DeploymentSpecState, b: DeploymentSpecState): string[] {
  const labels: string[] = [];
  if (a.replicas !== b.replicas) labels.push(`s:${b.replicas}`);
  if (a.image !== b.image) labels.push(`d:${b.image}`);
  // A restart's patch carries its change cause, "coxswain: @name (U…) rollout restart …": who restarted it.
  if (a.restartedAt !== b.restartedAt)
    labels.push(`r:${/\((U[A-Z0-9]+)\)/u.exec(b.changeCause)?.[1] ?? b.changeCause}`);
  return labels;
}

/** Every spec change of every Deployment in some namespaces, from a list onwards. */
export interface DeploymentWatch {
  /** "namespace/name" → its changes in the order the API server applied them. */
  readonly changes: Map<string, SpecChange[]>;
  /** "namespace/name" → its state as last seen. */
  readonly current: Map<string, DeploymentSpecState>;
  /** Watches that ended with an error (each resumed from the last resourceVersion), and 410s (events may be lost). */
  readonly restarts: { errors: number; gone: number };
  stop(): void;
}

/**
 * Lists the Deployments of each namespace, then watches them from that resourceVersion, resuming after a dropped watch.
 */
export async function watchDeployments(admin: k8s.KubeConfig, namespaces: readonly string[]): Promise<DeploymentWatch> {
  const apps = admin.makeApiClient(k8s.AppsV1Api);
  const watch = new k8s.Watch(admin);
  const changes = new Map<string, SpecChange[]>();
  const current = new Map<string, DeploymentSpecState>();
  const restarts = { errors: 0, gone: 0 };
  const aborts: AbortController[] = [];
  let stopped = false;
  const onEvent = (type: string, d: k8s.V1Deployment): string | undefined => {
    const key = `${d.metadata?.namespace}/${d.metadata?.name}`;
    const rv = d.metadata?.resourceVersion ?? '';
    if (type === 'BOOKMARK' || type === 'DELETED') return rv;
    const next = stateOf(d);
    const before = current.get(key);
    current.set(key, next);
    if (!before) return rv;
    const list = changes.get(key) ?? [];
    for (const label of changesBetween(before, next)) list.push({ label, resourceVersion: rv, t: Date.now() });
    changes.set(key, list);
    if (rolloutComplete(d)) for (const change of list) change.completeAt ??= Date.now();
    return rv;
  };
  const follow = async (namespace: string, resourceVersion: string): Promise<void> => {
    let rv = resourceVersion;
    const again = (error: unknown): void => {
      if (stopped) return;
      restarts.errors += error ? 1 : 0;
      if ((error as { statusCode?: number } | undefined)?.statusCode === 410) restarts.gone++;
      setTimeout(() => {
        void follow(namespace, rv);
      }, 200);
    };
    aborts.push(
      await watch.watch(
        `/apis/apps/v1/namespaces/${namespace}/deployments`,
        { resourceVersion: rv, allowWatchBookmarks: true },
        (type: string, d: k8s.V1Deployment) => {
          rv = onEvent(type, d) || rv;
        },
        again,
      ),
    );
  };
  for (const namespace of namespaces) {
    const list = await apps.listNamespacedDeployment({ namespace });
    for (const d of list.items) current.set(`${namespace}/${d.metadata?.name}`, stateOf(d));
    await follow(namespace, list.metadata?.resourceVersion ?? '');
  }
  return {
    changes,
    current,
    restarts,
    stop: () => {
      stopped = true;
      for (const a of aborts) a.abort();
    },
  };
}

// ───────────── statistics ─────────────

/** Least-squares slope of y over x (units of y per unit of x); 0 with fewer than 2 distinct x. */
export function leastSquaresSlope(points: readonly { readonly x: number; readonly y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}
