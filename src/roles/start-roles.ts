// Wires the roles of one process from configuration: the gateway (Bolt), the
// worker (BullMQ + client-node), the watcher (pod watch + Lease), or all three.
// What every role shares (policy, audit trail, authorizer, the API server) is
// opened here once; each role's own code is imported only when the process runs
// that role, so a watcher or gateway process does not carry the others' modules
// (client-node's typed API alone is ~80 MiB).
import { createAuditLog, type AuditLog } from '../audit/audit-log.ts';
import { ConfigError, type Config, type Role } from '../config/load-config.ts';
import type { ClusterAccess } from '../kube/create-kube-api.ts';
import { openKubeConnection, type KubeConnection } from '../kube/kube-connection.ts';
import { defaultHardFailureRules } from '../kube/rollout-rules.ts';
import type { Log } from '../log/create-logger.ts';
import { observeAudit } from '../metrics/metrics.ts';
import { createAuthorizer } from '../policy/authorizer.ts';
import { createGroupMembership, type GroupMembership } from '../policy/group-membership.ts';
import { PolicyError } from '../policy/load-policy.ts';
import { emptyPolicy, openPolicyStore, staticPolicyStore, type PolicyStore } from '../policy/policy-store.ts';
import { createSealer, type Sealer } from '../seal/sealer.ts';
import { createCommandRegistry } from '../registry/command-registry.ts';
import { createWebClient } from '../slack/create-web-client.ts';
import { startHealthServer, type Readiness } from '../metrics/health-server.ts';
import {
  openRedis,
  redisReady,
  safeRedisUrl,
  type RunningRoles,
  type Shared,
  type StartRolesOptions,
} from './role-kit.ts';
import { selfCheck } from './self-check.ts';

export { safeRedisUrl, type RunningRoles, type StartRolesOptions } from './role-kit.ts';

/** Once per process, on first use: `open` runs at most once and every caller gets its promise. */
function once<T>(open: () => Promise<T>): () => Promise<T> {
  let opened: Promise<T> | undefined;
  return () => (opened ??= open());
}

/** client-node's typed access (the worker's), imported and made on first use. */
function clusterAccess(config: Config): () => Promise<ClusterAccess> {
  return once(async () => {
    const { createClusterAccess } = await import('../kube/create-kube-api.ts');
    return createClusterAccess({
      ...(config.kubeconfigPath ? { kubeconfigPath: config.kubeconfigPath } : {}),
      rollout: { rules: { ...defaultHardFailureRules, graceMs: config.failureGraceMs } },
    });
  });
}

/** The raw connection to the API server as the bot, opened on first use. */
function kubeConnection(config: Config, log: Log): () => Promise<KubeConnection> {
  return once(() =>
    openKubeConnection(
      {
        ...(config.kubeconfigPath ? { kubeconfigPath: config.kubeconfigPath } : {}),
        ...(config.inClusterServer ? { inClusterServer: config.inClusterServer } : {}),
      },
      (message) => log('info', message),
    ),
  );
}

/** Counts every audit record into /metrics on its way to the trail. */
function observed(audit: AuditLog): AuditLog {
  return {
    record: (entry) => {
      observeAudit(entry);
      return audit.record(entry);
    },
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

/**
 * The audit trail of this process, on a connection of its own that fails fast: the worker's connection waits
 * for Redis forever (BullMQ needs that), and a record must never hold a request up; the log line is written anyway.
 */
async function openAudit(config: Config, log: Log): Promise<{ audit: AuditLog; running: RunningRoles }> {
  const redis = openRedis(config, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
  });
  redis.on('error', (error: Error) =>
    log('warn', 'redis (audit)', { url: safeRedisUrl(config.redisUrl), error: error.message }),
  );
  await redisReady(redis, 5000);
  const audit = createAuditLog({ redis, cluster: config.cluster, log, retention: config.auditRetention });
  return {
    audit,
    running: {
      stop: async () => {
        await audit.close();
        redis.disconnect();
      },
    },
  };
}

/**
 * The sealer of this process; a key derived from the signing secret works, but one of its own can be rotated on its
 * own.
 */
function openSealer(config: Config, log: Log): Sealer {
  if (config.seal.derived)
    log(
      'warn',
      'COXSWAIN_SEAL_KEY is not set: jobs and approvals are sealed with a key derived from SLACK_SIGNING_SECRET; set a key of its own (docs/security.md)',
    );
  if (config.seal.previous)
    log('info', 'the previous seal key is accepted until', {
      until: new Date(config.seal.previous.untilMs).toISOString(),
    });
  return createSealer({ key: config.seal.key, ...(config.seal.previous ? { previous: config.seal.previous } : {}) });
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
  void o
    .connection()
    .then((connection) =>
      selfCheck({ client: createWebClient(o.config, o.log), connection, policy: o.policy.current(), log: o.log }),
    )
    .catch((error: unknown) => o.log('warn', 'self-check failed to run', { error: String(error) }));
}

/**
 * The roles of `o.role`, each imported when run; without the gateway (which serves them through Bolt), the health
 * endpoints get a server of their own.
 */
async function startEach(o: Shared): Promise<RunningRoles[]> {
  const has = (role: Role): boolean => o.role === role || o.role === 'all';
  const started: RunningRoles[] = [];
  // Started first, so it is stopped last: /healthz answers while the roles drain their work on SIGTERM.
  if (!has('gateway')) {
    const health = await startHealthServer(o.config.port, o.ready);
    started.push({ port: health.port, stop: () => health.stop() });
  }
  if (has('worker')) started.push(await (await import('./worker-role.ts')).startWorkerRole(o));
  if (has('gateway')) started.push(await (await import('./gateway-role.ts')).startGatewayRole(o));
  if (has('watcher')) started.push(await (await import('./watcher-role.ts')).startWatcherRole(o));
  return started;
}

/** Starts the requested roles ('all' = gateway + worker + watcher). */
export async function startRoles(options: StartRolesOptions): Promise<RunningRoles> {
  const policy = await openPolicy(options.config, options.log);
  const opened = await openAudit(options.config, options.log);
  const connection = kubeConnection(options.config, options.log);
  // Stopped in reverse: the roles first (their last records), then the audit trail, the API connection, the policy
  // watch.
  const running: RunningRoles[] = [
    {
      stop: () => {
        policy.close();
        return Promise.resolve();
      },
    },
    {
      stop: async () => {
        await (await connection().catch(() => undefined))?.close();
      },
    },
    opened.running,
  ];
  let starting = true;
  // Not ready while the roles start: the health server is up before them.
  const ready: Readiness = async () =>
    starting
      ? ['starting']
      : (await Promise.all(running.map((r) => (r.ready ? r.ready() : Promise.resolve([]))))).flat();
  const o: Shared = {
    ...options,
    registry: createCommandRegistry(options.commands, { maxReplicas: options.config.maxReplicas }),
    policy,
    authorizer: createAuthorizer(policy, groupMembership(options.config, options.log), {
      protectedNamespaces: options.config.protectedNamespaces,
    }),
    audit: observed(opened.audit),
    ready,
    access: clusterAccess(options.config),
    connection,
    sealer: openSealer(options.config, options.log),
  };
  running.push(...(await startEach(o)));
  starting = false;
  const waiting = await untilReady(ready, 5000);
  if (waiting.length > 0)
    o.log('warn', 'started, but not ready yet; /readyz answers 503 until these answer', { unreachable: waiting });
  runSelfCheck(o);
  const port = running.find((r) => r.port !== undefined)?.port;
  return {
    ...(port !== undefined ? { port } : {}),
    stop: async () => {
      for (const r of running.reverse()) await r.stop();
    },
  };
}
