// Wires the roles of one process from configuration: the gateway (Bolt), the
// worker (BullMQ), or both. Returns a stop function for SIGTERM.
import { Redis } from 'ioredis';
import { createAuditLog, type AuditLog } from '../audit/audit-log.ts';
import { ConfigError, type Config, type Role } from '../config/load-config.ts';
import { createAuthorizer, type Authorizer } from '../policy/authorizer.ts';
import { createGroupMembership, type GroupMembership } from '../policy/group-membership.ts';
import { PolicyError } from '../policy/load-policy.ts';
import { emptyPolicy, openPolicyStore, staticPolicyStore, type PolicyStore } from '../policy/policy-store.ts';
import { createApprovalStore } from '../approvals/approval-store.ts';
import { handleVote, type VoteDeps } from '../approvals/handle-vote.ts';
import { openApproval } from '../approvals/open-approval.ts';
import { startExpirySweeper } from '../approvals/sweep-expired.ts';
import { createWorkerApprovals } from '../approvals/worker-approvals.ts';
import { createApprovalFlow } from '../slack/approval-flow.ts';
import { registerAlertActions } from '../slack/alert-actions.ts';
import { registerApprovalActions } from '../slack/approval-actions.ts';
import type { GatewayDeps } from '../slack/handle-command.ts';
import { createClusterAccess, type ClusterAccess } from '../kube/create-kube-api.ts';
import { createHoldStore } from '../locks/target-holds.ts';
import type { KubeApi } from '../kube/kube-api.ts';
import { defaultHardFailureRules } from '../kube/rollout-rules.ts';
import type { Log } from '../log/create-logger.ts';
import { acquireDeploymentLock } from '../queue/deployment-lock.ts';
import { createJobQueue, keyPrefix } from '../queue/job-queue.ts';
import { startWorker } from '../queue/start-worker.ts';
import type { CommandRegistry } from '../registry/command-registry.ts';
import type { CommandLimits } from '../registry/command-spec.ts';
import { createWebClient } from '../slack/create-web-client.ts';
import { createAlertSlack } from '../slack/alert-slack.ts';
import { selfCheck } from './self-check.ts';
import { startLeaderElection } from '../kube/leader-election.ts';
import { alertQueueName, createAlertQueue, startAlertDelivery } from '../watch/alert-queue.ts';
import { createAlertStore } from '../watch/alert-store.ts';
import { createChannelGate } from '../watch/channel-gate.ts';
import { createRolloutMarks } from '../watch/rollout-marks.ts';
import { startAlertWatcher, type AlertWatcher } from '../watch/start-watcher.ts';
import { randomUUID } from 'node:crypto';
import { apiServerProbe } from '../kube/api-server-ready.ts';
import { observeAudit, watchQueueDepth } from '../metrics/metrics.ts';
import { startHealthServer, type Readiness } from './health-server.ts';
import { hostname } from 'node:os';
import { startGateway } from '../slack/create-gateway.ts';
import { createSlackMessenger } from '../slack/slack-messenger.ts';

/** A running set of roles. */
export interface RunningRoles {
  /** This role's part of /readyz: what it needs to work (Redis, the API server). */
  readonly ready?: Readiness;
  /** The gateway's HTTP port, when it runs. */
  readonly port?: number;
  stop(): Promise<void>;
}

/** Options of startRoles. */
export interface StartRolesOptions {
  readonly config: Config;
  readonly role: Role;
  readonly registry: CommandRegistry;
  readonly log: Log;
  /**
   * Wraps the worker's KubeApi, e.g. to time every call in a benchmark.
   * Default: none (the KubeApi is used as created).
   */
  readonly wrapKube?: (api: KubeApi) => KubeApi;
}

interface Shared extends StartRolesOptions {
  readonly policy: PolicyStore;
  readonly authorizer: Authorizer;
  readonly audit: AuditLog;
  /** /readyz of the whole process: every role's readiness. */
  readonly ready: Readiness;
  /** The cluster as the bot (and as identities it impersonates): the kubeconfig is read once per process. */
  readonly access: () => ClusterAccess;
}

/** The process's one ClusterAccess, made when a role first needs it. */
function clusterAccessOnce(config: Config): () => ClusterAccess {
  let access: ClusterAccess | undefined;
  return () => {
    access ??= createClusterAccess({
      ...(config.kubeconfigPath ? { kubeconfigPath: config.kubeconfigPath } : {}),
      rollout: { rules: { ...defaultHardFailureRules, graceMs: config.failureGraceMs } },
    });
    return access;
  };
}

/**
 * Redis answers a PING within a second. A connection that waits for Redis forever
 * (BullMQ's) would hold the PING in its offline queue, so a connection that is not
 * ready is not asked at all.
 */
const redisPing = (redis: Redis) => async (): Promise<boolean> => {
  if (redis.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => { timer = setTimeout(() => resolve(''), 1000); });
  try {
    return (await Promise.race([redis.ping().catch(() => ''), late])) === 'PONG';
  } finally {
    clearTimeout(timer);
  }
};

/** Counts every audit record into /metrics on its way to the trail. */
function observed(audit: AuditLog): AuditLog {
  return {
    record: (entry) => { observeAudit(entry); return audit.record(entry); },
    query: (filter) => audit.query(filter),
    verify: () => audit.verify(),
    close: () => audit.close(),
  };
}

async function openPolicy(config: Config, log: Log): Promise<PolicyStore> {
  if (!config.policyPath) {
    log('warn', 'no COXSWAIN_POLICY: nobody may run anything but help and whoami (deny by default)');
    return staticPolicyStore(emptyPolicy, 'no policy configured (COXSWAIN_POLICY)');
  }
  try {
    return await openPolicyStore({ file: config.policyPath, log });
  } catch (error) {
    if (error instanceof PolicyError) throw new ConfigError(`COXSWAIN_POLICY: ${error.problems.join('; ')}`);
    throw error;
  }
}

function groupMembership(config: Config, log: Log): GroupMembership {
  const client = createWebClient(config, log);
  return createGroupMembership({
    list: async (usergroup) => (await client.usergroups.users.list({ usergroup })).users ?? [],
  });
}

/** Redis URL without its password, for messages. */
export function safeRedisUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function limitsOf(config: Config): CommandLimits {
  return { maxReplicas: config.maxReplicas, defaultNamespace: config.defaultNamespace, rolloutTimeoutMs: config.rolloutTimeoutMs };
}

/** Resolves when the connection is ready, or after `ms` (the caller carries on; /readyz tells the truth). */
function redisReady(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => { redis.off('ready', onReady); resolve(false); }, ms);
    const onReady = (): void => { clearTimeout(timer); resolve(true); };
    redis.once('ready', onReady);
  });
}

async function startGatewayRole(o: Shared): Promise<RunningRoles> {
  const { config, log } = o;
  // Fail fast: with no offline queue a Redis outage is answered at once ("try again"), not after Slack's 3 s.
  const redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  redis.on('error', (error: Error) => log('warn', 'redis (gateway)', { url: safeRedisUrl(config.redisUrl), error: error.message }));
  // Without an offline queue, commands before the first connection would fail: take requests once Redis is up.
  if (!(await redisReady(redis, 5000))) log('warn', 'Redis is not reachable yet; commands will be refused until it is', { url: safeRedisUrl(config.redisUrl) });
  // BullMQ's job scripts would sit in front of the claim on a shared connection; the ack waits only for the claim.
  const queueRedis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  queueRedis.on('error', (error: Error) => log('warn', 'redis (gateway queue)', { url: safeRedisUrl(config.redisUrl), error: error.message }));
  await redisReady(queueRedis, 5000);
  const queue = createJobQueue(config.cluster, queueRedis);
  const client = createWebClient(config, log);
  const store = createApprovalStore(redis, keyPrefix(config.cluster));
  const flow = createApprovalFlow({ client, queue, cluster: config.cluster, log, audit: o.audit });
  const voteDeps: VoteDeps = { store, authorizer: o.authorizer, redraw: flow.redraw, enqueueApproved: flow.enqueueApproved, audit: o.audit };
  const deps: GatewayDeps = {
    registry: o.registry, limits: limitsOf(config), cluster: config.cluster, client,
    redis, queue, keyPrefix: keyPrefix(config.cluster), log,
    authorizer: o.authorizer, defaultNamespace: () => o.policy.current().defaultNamespace ?? config.defaultNamespace,
    audit: o.audit,
    holds: createHoldStore(redis, keyPrefix(config.cluster)),
    approvals: {
      open: (held, rule) => openApproval({ store, postCard: flow.postCard, enqueuePlan: flow.enqueuePlan }, held, rule),
      vote: (vote) => handleVote(voteDeps, vote),
    },
  };
  const gateway = await startGateway({
    config,
    ready: o.ready,
    extend: (app) => { registerApprovalActions(app, voteDeps, log); registerAlertActions(app, deps, log); },
    deps,
  });
  log('info', 'gateway listening', { port: gateway.port, socketMode: Boolean(config.slack.appToken) });
  return {
    port: gateway.port,
    ready: async () => ((await redisPing(redis)()) ? [] : ['redis (gateway)']),
    stop: async () => { await gateway.stop(); await queue.close(); queueRedis.disconnect(); redis.disconnect(); },
  };
}

function startWorkerRole(o: Shared): RunningRoles {
  const { config, log } = o;
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', (error: Error) => log('warn', 'redis (worker)', { url: safeRedisUrl(config.redisUrl), error: error.message }));
  const client = createWebClient(config, log);
  const access = o.access();
  const wrap = o.wrapKube ?? ((api: KubeApi) => api);
  const kube = wrap(access.kube);
  const store = createApprovalStore(redis, keyPrefix(config.cluster));
  const producer = createJobQueue(config.cluster, redis);
  const flow = createApprovalFlow({ client, queue: producer, cluster: config.cluster, log, audit: o.audit });
  // Every worker sweeps; the store hands each expired request to exactly one of them.
  const sweeper = startExpirySweeper({ store, redraw: flow.redraw, log, everyMs: 1000 });
  const prefix = keyPrefix(config.cluster);
  const alertQueue = createAlertQueue(config.cluster, redis, prefix);
  const delivery = startAlertDelivery({
    store: createAlertStore(redis, prefix), kube, slack: createAlertSlack(client), gate: createChannelGate(redis, prefix),
    rollouts: createRolloutMarks(redis, prefix), log,
  }, { cluster: config.cluster, connection: redis, redis, keyPrefix: prefix, queue: alertQueue });
  const worker = startWorker({
    rollouts: createRolloutMarks(redis, prefix),
    registry: o.registry, limits: limitsOf(config), kube, kubeAs: (identity) => wrap(access.kubeAs(identity)), cluster: config.cluster, log, authorizer: o.authorizer, audit: o.audit,
    approvals: createWorkerApprovals({ store, kube, redraw: flow.redraw, authorizer: o.authorizer }),
    holds: createHoldStore(redis, keyPrefix(config.cluster)),
    messengerFor: (payload) => createSlackMessenger(client, payload, log),
    lock: (target, holder, onWait) => acquireDeploymentLock(redis, { prefix: keyPrefix(config.cluster), target, holder, onWait }),
  }, { cluster: config.cluster, connection: redis });
  log('info', 'worker consuming', { queue: `${keyPrefix(config.cluster)}` });
  const stopCounting = watchQueueDepth(async () => ({ [config.cluster]: await producer.counts() }));
  const apiServer = apiServerProbe(access.clients);
  return {
    ready: async () => [...((await redisPing(redis)()) ? [] : ['redis (worker)']), ...((await apiServer()) ? [] : ['kubernetes API (worker)'])],
    stop: async () => { stopCounting(); sweeper.stop(); await worker.close(); await delivery.close(); await alertQueue.close(); await producer.close(); redis.disconnect(); },
  };
}

/**
 * The watcher: every replica stands for election on a Lease; the leader lists
 * and watches pods and raises alerts, the others wait to take over.
 */
function startWatcherRole(o: Shared): RunningRoles {
  const { config, log } = o;
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', (error: Error) => log('warn', 'redis (watcher)', { url: safeRedisUrl(config.redisUrl), error: error.message }));
  const { clients } = o.access();
  const store = createAlertStore(redis, keyPrefix(config.cluster));
  const queue = createAlertQueue(config.cluster, redis, keyPrefix(config.cluster));
  let watcher: AlertWatcher | undefined;
  const election = startLeaderElection({
    clients, namespace: config.namespace, name: `coxswain-watcher-${config.cluster}`, identity: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    leaseDurationMs: config.leaderLeaseMs, renewEveryMs: Math.max(200, Math.floor(config.leaderLeaseMs / 3)), retryEveryMs: Math.max(100, Math.floor(config.leaderLeaseMs / 7)),
    onStartedLeading: () => {
      log('info', 'watching pods for failures (this replica leads)', { cluster: config.cluster });
      watcher = startAlertWatcher({ clients, policy: o.policy, store, queue, cluster: config.cluster, log });
    },
    onStoppedLeading: () => { watcher?.stop(); watcher = undefined; },
    log,
  });
  const stopCounting = watchQueueDepth(async () => ({ [alertQueueName(config.cluster)]: await queue.counts() }));
  const apiServer = apiServerProbe(clients);
  return {
    ready: async () => [...((await redisPing(redis)()) ? [] : ['redis (watcher)']), ...((await apiServer()) ? [] : ['kubernetes API (watcher)'])],
    stop: async () => { stopCounting(); await election.stop(); watcher?.stop(); await queue.close(); redis.disconnect(); },
  };
}

/**
 * The audit trail of this process, on a connection of its own that fails fast: the worker's connection waits
 * for Redis forever (BullMQ needs that), and a record must never hold a request up; the log line is written anyway.
 */
async function openAudit(config: Config, log: Log): Promise<{ audit: AuditLog; running: RunningRoles }> {
  const redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 2000 });
  redis.on('error', (error: Error) => log('warn', 'redis (audit)', { url: safeRedisUrl(config.redisUrl), error: error.message }));
  await redisReady(redis, 5000);
  const audit = createAuditLog({ redis, cluster: config.cluster, log, retention: config.auditRetention });
  return { audit, running: { stop: async () => { await audit.close(); redis.disconnect(); } } };
}

/** Waits up to `ms` for the connections to come up; resolves to what is still unreachable. */
async function untilReady(ready: Readiness, ms: number): Promise<readonly string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const problems = await ready();
    if (problems.length === 0 || Date.now() >= deadline) return problems;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Checks Slack, the policy's channels and the bot's Kubernetes permissions once, in the background. */
function runSelfCheck(o: Shared): void {
  const { clients } = o.access();
  void selfCheck({ client: createWebClient(o.config, o.log), clients, policy: o.policy.current(), log: o.log })
    .catch((error: unknown) => o.log('warn', 'self-check failed to run', { error: String(error) }));
}

/** The roles of `o.role`; without the gateway (which serves them through Bolt), the health endpoints get a server of their own. */
async function startEach(o: Shared): Promise<RunningRoles[]> {
  const has = (role: Role): boolean => o.role === role || o.role === 'all';
  const started: RunningRoles[] = [];
  if (has('worker')) started.push(startWorkerRole(o));
  if (has('gateway')) started.push(await startGatewayRole(o));
  if (has('watcher')) started.push(startWatcherRole(o));
  if (!has('gateway')) {
    const health = await startHealthServer(o.config.port, o.ready);
    started.push({ port: health.port, stop: () => health.stop() });
  }
  return started;
}

/** Starts the requested roles ('all' = gateway + worker + watcher). */
export async function startRoles(options: StartRolesOptions): Promise<RunningRoles> {
  const policy = await openPolicy(options.config, options.log);
  const opened = await openAudit(options.config, options.log);
  // Stopped in reverse: the roles first (their last records), then the audit trail, then the policy watch.
  const running: RunningRoles[] = [{ stop: () => { policy.close(); return Promise.resolve(); } }, opened.running];
  const ready: Readiness = async () => (await Promise.all(running.map((r) => (r.ready ? r.ready() : Promise.resolve([]))))).flat();
  const o: Shared = {
    ...options, policy, authorizer: createAuthorizer(policy, groupMembership(options.config, options.log)), audit: observed(opened.audit), ready, access: clusterAccessOnce(options.config),
  };
  running.push(...(await startEach(o)));
  const waiting = await untilReady(ready, 5000);
  if (waiting.length > 0) o.log('warn', 'started, but not ready yet; /readyz answers 503 until these answer', { unreachable: waiting });
  runSelfCheck(o);
  const port = running.find((r) => r.port !== undefined)?.port;
  return {
    ...(port !== undefined ? { port } : {}),
    stop: async () => { for (const r of running.reverse()) await r.stop(); },
  };
}
