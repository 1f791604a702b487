// Starts the real bot (gateway + worker, as `coxswain start` does) against the
// Slack emulator, the shared Redis and the test cluster's bot identity, with a
// queue of its own so test files never see each other's jobs.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Role } from '../../src/config/load-config.ts';
import { redact, type Log } from '../../src/log/create-logger.ts';
import { startRoles, type RunningRoles } from '../../src/roles/start-roles.ts';
import { createRegistry } from '../../commands/index.ts';
import type { KubeApi } from '../../src/kube/kube-api.ts';
import type { ClusterState } from './cluster/cluster.ts';
import type { SlackEmulator } from './slack-emulator/index.ts';

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
  /** Path of the policy file. Default: policies/everyone-everything.yaml (tests about the pipeline, not permissions). */
  readonly policyFile?: string;
  /** Wraps the worker's KubeApi (benchmarks time kube calls with it). Default: none. */
  readonly wrapKube?: (api: KubeApi) => KubeApi;
}

/** Starts the bot; call stop() in afterAll. */
export async function startTestBot(options: TestBotOptions): Promise<TestBot> {
  const clusterName = options.clusterName ?? `t-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
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
    COXSWAIN_POLICY: options.policyFile ?? fileURLToPath(new URL('./policies/everyone-everything.yaml', import.meta.url)),
    ...(options.socketMode === true ? { SLACK_APP_TOKEN: options.emu.appToken } : {}),
    ...options.env,
  });
  const logs: string[] = [];
  const log: Log = (level, message, fields = {}) => { logs.push(redact(JSON.stringify({ level, message, ...fields }))); };
  const running: RunningRoles = await startRoles({ config, role: options.role ?? 'all', registry: createRegistry(), log, ...(options.wrapKube ? { wrapKube: options.wrapKube } : {}) });
  const port = running.port ?? 0;
  return { eventsUrl: `http://127.0.0.1:${port}/slack/events`, port, cluster: clusterName, logs, stop: () => running.stop() };
}
