// One role of the real bot (watcher, worker or gateway; or all three) in a process of its own,
// for bench/alerts.ts, bench/load.ts and bench/soak.ts: so each role's RSS is its
// own, and the Slack emulator and the benchmark's own watch (Slack and an
// observer, elsewhere in real life) do not share its event loop. Configured like
// test/support/bot.ts.
// stdout is a protocol of JSON lines: {"event":"started","pid":N,"port":N} once
// the roles run (port: the gateway's HTTP port, or the health server's);
// {"event":"log",…} for each log line of the bot; {"event":"list-page"} and
// {"event":"watching"} when the process sends a pod list page / its first pod
// watch request (seen through undici's diagnostics channel, so the product is
// not touched: the first watch request follows onListEnd at once, i.e. "synced");
// with `timeKube`, {"event":"kube","method":…,"target":…,"t0":…,"t1":…} for every KubeApi call a worker makes
// (target: the Deployment or pod named, else the label selector or namespace; t0/t1 epoch ms, fractional), so a
// benchmark can subtract Kubernetes' own time from a job's;
// on SIGUSR2 {"event":"memory",…} (process.memoryUsage() in MiB);
// on SIGTERM or SIGINT {"event":"stopped","cpuMs":N,"maxRssMiB":N} and exit.
// It also stops on its own when its parent is gone (a benchmark killed with
// SIGKILL must not leave bots running against Redis).
import { subscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { loadConfig, type Role } from '../src/config/load-config.ts';
import type { KubeApi } from '../src/kube/kube-api.ts';
import { startRoles } from '../src/roles/start-roles.ts';
import { allCommands } from '../commands/index.ts';

/** What the parent passes as argv[2] (JSON). */
export interface RoleProcessOptions {
  readonly role: Role;
  readonly botToken: string;
  readonly signingSecret: string;
  readonly apiUrl: string;
  readonly redisUrl: string;
  readonly kubeconfig: string;
  readonly cluster: string;
  readonly policyFile: string;
  /** Log lines whose message starts with one of these are not passed on (a storm logs thousands). Default none. */
  readonly quiet?: readonly string[];
  /**
   * More environment for loadConfig (e.g. COXSWAIN_LOG_LEVEL, COXSWAIN_FAILURE_GRACE); it wins over the above. Default
   * none.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Report every KubeApi call the worker makes, timed (bench:instant). Default no. */
  readonly timeKube?: boolean;
}

const o = JSON.parse(process.argv[2] ?? '{}') as RoleProcessOptions;
const emit = (event: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ event, t: Date.now(), ...fields })}\n`);
};

let watching = false;
subscribe('undici:request:create', (message) => {
  const request = (message as { request?: { path?: string; method?: string } }).request;
  const path = request?.path ?? '';
  if (!/\/pods(\?|$)/u.test(path)) return;
  if (path.includes('watch=true')) {
    if (!watching) emit('watching');
    watching = true;
  } else if (path.includes('limit=')) {
    emit('list-page');
  }
});

const config = loadConfig({
  SLACK_SIGNING_SECRET: o.signingSecret,
  SLACK_BOT_TOKEN: o.botToken,
  SLACK_API_URL: o.apiUrl,
  PORT: '0',
  REDIS_URL: o.redisUrl,
  KUBECONFIG: o.kubeconfig,
  COXSWAIN_CLUSTER: o.cluster,
  COXSWAIN_LOG_LEVEL: 'info',
  COXSWAIN_LEADER_LEASE: '3s',
  COXSWAIN_POLICY: o.policyFile,
  // The benchmarks measure capacity: a load of commands from a few users in one channel is the point, not a flood.
  // The buckets are still checked (their cost is part of every request), but never run dry.
  COXSWAIN_RATE_USER: '100000/1s',
  COXSWAIN_RATE_CHANNEL: '100000/1s',
  COXSWAIN_MAX_QUEUED_PER_USER: '10000',
  ...o.env,
});
/** What a KubeApi call names: a Deployment's or pod's name, else a label selector, else the namespace. */
function targetOf(args: readonly unknown[]): string {
  const [first, second] = args;
  if (typeof first === 'object' && first !== null && 'name' in first) return String(first.name);
  if (typeof second === 'string') return second;
  return typeof first === 'string' ? first : '';
}

const wallNow = (): number => performance.timeOrigin + performance.now();

/** Every method of the KubeApi, timed into an `kube` event. */
function timedKube(api: KubeApi): KubeApi {
  return new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]): Promise<unknown> => {
        const t0 = wallNow();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          emit('kube', { method: String(property), target: targetOf(args), t0, t1: wallNow() });
        }
      };
    },
  });
}

const quiet = o.quiet ?? [];
const running = await startRoles({
  config,
  role: o.role,
  commands: allCommands,
  ...(o.timeKube ? { wrapKube: timedKube } : {}),
  log: (level, message, fields = {}) => {
    if (!quiet.some((q) => message.startsWith(q))) emit('log', { level, message, fields });
  },
});
// The heap's share of the RSS, on request (the memory benchmark asks once the RSS has settled).
// Under --expose-gc (--watcher-flags=--expose-gc) it collects first, so heapUsed is what is retained.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const mib = (x: number): number => Math.round(x / 2 ** 20);
  emit('memory', {
    rssMiB: mib(m.rss),
    heapTotalMiB: mib(m.heapTotal),
    heapUsedMiB: mib(m.heapUsed),
    externalMiB: mib(m.external),
    arrayBuffersMiB: mib(m.arrayBuffers),
  });
});
// A CPU profile of a window the parent chooses: SIGHUP starts it, the next SIGHUP writes it to BENCH_PROFILE_DIR
// (bench:lean --cpu-prof profiles its 150 s window this way, without the start-up).
const profileDir = process.env['BENCH_PROFILE_DIR'];
if (profileDir) {
  const { Session } = await import('node:inspector/promises');
  const { writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  let profiling = false;
  process.on('SIGHUP', () => {
    const toggle = async (): Promise<void> => {
      if (!profiling) {
        profiling = true;
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
        emit('profiling');
        return;
      }
      profiling = false;
      const { profile } = await session.post('Profiler.stop');
      const file = `${profileDir}/window-${process.pid}-${Date.now()}.cpuprofile`;
      await writeFile(file, JSON.stringify(profile));
      emit('profiled', { file });
    };
    void toggle();
  });
}
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  const cpu = process.cpuUsage();
  const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  void running.stop().finally(() => {
    emit('stopped', { cpuMs: Math.round((cpu.user + cpu.system) / 1000), maxRssMiB });
    process.exit(0);
  });
};
// Ctrl-C reaches the whole process group: stop cleanly, as on SIGTERM (the parent cleans up Redis and the cluster).
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop();
}, 2000).unref();
emit('started', { pid: process.pid, port: running.port });
