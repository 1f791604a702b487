// Starts the real bot (gateway + worker, as `coxswain start` does) against the
// Slack emulator, the shared Redis and the test cluster's bot identity, with a
// queue of its own so test files never see each other's jobs; in this process
// (startTestBot), or as `coxswain start --role …` processes a test can kill (spawnBot).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Role } from '../../src/config/load-config.ts';
import { redact, type Log } from '../../src/log/create-logger.ts';
import { startRoles, type RunningRoles } from '../../src/roles/start-roles.ts';
import { allCommands } from '../../commands/index.ts';
import type { KubeApi } from '../../src/kube/kube-api.ts';
import { createSealer, type Sealer } from '../../src/seal/sealer.ts';
import type { ClusterState } from './cluster/cluster.ts';
import { freePort, waitUntil } from './cluster/processes.ts';
import type { SlackEmulator } from './slack-emulator/index.ts';

/** The seal key every test bot runs with, so a test can seal (or forge) what the bot reads from Redis. */
export const testSealKey = 'coxswain-test-seal-key-0123456789abcdef';

/** A sealer with the test bots' key. */
export function testSealer(): Sealer {
  return createSealer({ key: testSealKey });
}

/** A bot started for a test. */
export interface TestBot {
  /** Where the HTTP driver sends Slack's requests (unused under `socketMode`: use `emu.socketDriver()`). */
  readonly eventsUrl: string;
  readonly port: number;
  readonly cluster: string;
  /** Every log line the bot wrote, already redacted as production would. */
  readonly logs: string[];
  stop(): Promise<void>;
}

/** Options of startTestBot. */
export interface TestBotOptions {
  readonly emu: SlackEmulator;
  readonly cluster: ClusterState;
  readonly role?: Role;
  /** Extra environment, e.g. COXSWAIN_MAX_REPLICAS. */
  readonly env?: Record<string, string>;
  /** Connect over Socket Mode (SLACK_APP_TOKEN = the emulator's app token) instead of serving HTTP events. */
  readonly socketMode?: boolean;
  /** The cluster name (and so the queue and Redis keys). Default: a fresh one. Reuse it to restart "the same" bot. */
  readonly clusterName?: string;
  /**
   * Path of the policy file. Default: policies/everyone-everything.yaml (tests about the pipeline, not permissions).
   */
  readonly policyFile?: string;
  /** Wraps the worker's KubeApi (benchmarks time kube calls with it). Default: none. */
  readonly wrapKube?: (api: KubeApi) => KubeApi;
}

/** The environment `coxswain start` reads, as a test bot gets it (see startTestBot). */
function botEnvironment(options: TestBotOptions, clusterName: string): Record<string, string> {
  return {
    SLACK_SIGNING_SECRET: options.emu.signingSecret,
    SLACK_BOT_TOKEN: options.emu.botToken,
    SLACK_API_URL: options.emu.apiUrl,
    PORT: '0',
    REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    KUBECONFIG: options.cluster.botKubeconfig,
    COXSWAIN_CLUSTER: clusterName,
    COXSWAIN_LOG_LEVEL: 'error',
    // Call a crash-looping rollout failed after 2 s instead of 20 s, so failure tests stay quick.
    COXSWAIN_FAILURE_GRACE: '2s',
    // A watcher that dies without releasing its Lease is replaced after 3 s, not 15.
    COXSWAIN_LEADER_LEASE: '3s',
    COXSWAIN_POLICY:
      options.policyFile ?? fileURLToPath(new URL('./policies/everyone-everything.yaml', import.meta.url)),
    // Tests fire commands faster than people do; the limits have tests of their own (test/integration/security/).
    COXSWAIN_RATE_USER: 'off',
    COXSWAIN_RATE_CHANNEL: 'off',
    COXSWAIN_MAX_QUEUED_PER_USER: '1000',
    COXSWAIN_SEAL_KEY: testSealKey,
    ...(options.socketMode === true ? { SLACK_APP_TOKEN: options.emu.appToken } : {}),
    ...options.env,
  };
}

/** Starts the bot; call stop() in afterAll. */
export async function startTestBot(options: TestBotOptions): Promise<TestBot> {
  const clusterName = options.clusterName ?? `t-${randomBytes(4).toString('hex')}`;
  const config = loadConfig(botEnvironment(options, clusterName));
  const logs: string[] = [];
  const log: Log = (level, message, fields = {}) => {
    logs.push(redact(JSON.stringify({ level, message, ...fields })));
  };
  const running: RunningRoles = await startRoles({
    config,
    role: options.role ?? 'all',
    commands: allCommands,
    log,
    ...(options.wrapKube ? { wrapKube: options.wrapKube } : {}),
  });
  const port = running.port ?? 0;
  return {
    eventsUrl: `http://127.0.0.1:${port}/slack/events`,
    port,
    cluster: clusterName,
    logs,
    stop: () => running.stop(),
  };
}

/** Options of spawnBot: those of startTestBot (but wrapKube, which cannot cross a process), and how to start. */
export interface BotProcessOptions extends Omit<TestBotOptions, 'wrapKube'> {
  /** Wait until /readyz answers 200 before resolving. Default true; false for a process started while Redis is down. */
  readonly waitReady?: boolean;
}

/** How a process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** `coxswain start --role …` running as a process of its own, the way a container runs it. */
export interface BotProcess {
  readonly pid: number;
  readonly role: Role;
  /** Its HTTP port: /slack/events for a gateway, /healthz and /readyz for every role. */
  readonly port: number;
  readonly eventsUrl: string;
  readonly cluster: string;
  /** Its stdout so far (JSON log lines) and stderr, as text. */
  output(): string;
  /** Resolves once the process has ended. */
  readonly exited: Promise<ProcessExit>;
  /** Sends `signal` (SIGKILL: a crash, SIGTERM: what Kubernetes sends before it). */
  kill(signal: NodeJS.Signals): void;
  /** For afterAll: SIGKILL if it still runs, and wait for the exit. */
  stop(): Promise<void>;
}

const mainScript = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/**
 * Spawns `node src/main.ts start --role <role>` (the project's Node, as this process runs)
 * with the environment startTestBot would configure, on a free port and at log
 * level info. Pass the same `clusterName` to several processes to make one
 * deployment of separate gateways and workers sharing a queue.
 */
export async function spawnBot(options: BotProcessOptions): Promise<BotProcess> {
  const clusterName = options.clusterName ?? `t-${randomBytes(4).toString('hex')}`;
  const role = options.role ?? 'all';
  const port = await freePort();
  const env = {
    PATH: process.env['PATH'] ?? '',
    ...botEnvironment(options, clusterName),
    PORT: String(port),
    COXSWAIN_LOG_LEVEL: 'info',
    ...options.env,
  };
  const child = spawn(process.execPath, [mainScript, 'start', '--role', role], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start coxswain --role ${role}`);
  const chunks: string[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => chunks.push(d.toString()));
  const exited = new Promise<ProcessExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const bot: BotProcess = {
    pid: child.pid,
    role,
    port,
    eventsUrl: `http://127.0.0.1:${port}/slack/events`,
    cluster: clusterName,
    exited,
    output: () => chunks.join(''),
    kill: (signal) => {
      child.kill(signal);
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  if (options.waitReady === false) return bot;
  const ready = async (): Promise<boolean> => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
  await Promise.race([
    waitUntil(ready, {
      what: `coxswain --role ${role} to answer /readyz with 200`,
      timeoutMs: 30_000,
      intervalMs: 200,
    }),
    exited.then((e) => {
      throw new Error(
        `coxswain --role ${role} exited (${e.code ?? e.signal}) before it was ready:\n${bot.output().slice(-2000)}`,
      );
    }),
  ]).catch(async (error: unknown) => {
    await bot.stop();
    throw error;
  });
  return bot;
}
