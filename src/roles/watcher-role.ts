// The watcher role: every replica stands for election on a Lease; the leader
// lists and watches pods and raises alerts, the others wait to take over. It
// reaches the API server through the KubeConnection only, so a watcher process
// never loads client-node's typed API (test/unit/roles/role-imports.test.ts).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { apiServerProbe } from '../kube/api-server-ready.ts';
import { startLeaderElection } from '../kube/leader-election.ts';
import { setAuditChainVerdict, setWatcherLeader, watchQueueDepth } from '../metrics/metrics.ts';
import { keyPrefix } from '../queue/job-queue.ts';
import { alertQueueName, createAlertQueue } from '../alerts/alert-queue.ts';
import { createAlertStore } from '../alerts/alert-store.ts';
import { startAlertWatcher, type AlertWatcher } from '../watch/start-watcher.ts';
import { openRedis, redisPing, safeRedisUrl, type RunningRoles, type Shared } from './role-kit.ts';

/**
 * Verifies the audit chain now and every `everyMs` until stopped, and says the verdict in /metrics (and a break in the
 * log). A verification that cannot run (Redis down) leaves the last verdict and its time as they were, so the
 * PrometheusRule sees the time go stale.
 */
function verifyAuditEvery(o: Shared, everyMs: number): () => void {
  const { config, log } = o;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const run = async (): Promise<void> => {
    const verdict = await o.audit.verify().catch((error: unknown) => {
      log('warn', 'could not verify the audit chain', {
        error: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    });
    if (stopped) return;
    if (verdict) setAuditChainVerdict(config.cluster, verdict.ok, Date.now());
    if (verdict && !verdict.ok)
      log('error', 'the audit chain is broken; run `coxswain audit verify`', {
        id: verdict.broken.id,
        problem: verdict.broken.problem,
      });
    timer = setTimeout(() => void run(), everyMs);
    timer.unref();
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Joins the election and, while leading, watches pods for failures. */
export async function startWatcherRole(o: Shared): Promise<RunningRoles> {
  const { config, log } = o;
  const redis = openRedis(config, { maxRetriesPerRequest: null });
  redis.on('error', (error: Error) =>
    log('warn', 'redis (watcher)', { url: safeRedisUrl(config.redisUrl), error: error.message }),
  );
  const connection = await o.connection();
  const store = createAlertStore(redis, keyPrefix(config.cluster));
  const queue = createAlertQueue(config.cluster, redis, keyPrefix(config.cluster));
  let watcher: AlertWatcher | undefined;
  let stopVerifying: (() => void) | undefined;
  setWatcherLeader(config.cluster, false);
  const election = startLeaderElection({
    connection,
    namespace: config.namespace,
    name: `coxswain-watcher-${config.cluster}`,
    identity: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    leaseDurationMs: config.leaderLeaseMs,
    renewEveryMs: Math.max(200, Math.floor(config.leaderLeaseMs / 3)),
    retryEveryMs: Math.max(100, Math.floor(config.leaderLeaseMs / 7)),
    onStartedLeading: () => {
      log('info', 'watching pods for failures (this replica leads)', { cluster: config.cluster });
      watcher = startAlertWatcher({ connection, policy: o.policy, store, queue, cluster: config.cluster, log });
      stopVerifying = verifyAuditEvery(o, config.auditVerifyEveryMs);
      setWatcherLeader(config.cluster, true);
    },
    onStoppedLeading: () => {
      setWatcherLeader(config.cluster, false);
      stopVerifying?.();
      stopVerifying = undefined;
      watcher?.stop();
      watcher = undefined;
    },
    log,
  });
  const stopCounting = watchQueueDepth(async () => ({ [alertQueueName(config.cluster)]: await queue.counts() }));
  const apiServer = apiServerProbe(connection);
  return {
    ready: async () => [
      ...((await redisPing(redis)()) ? [] : ['redis (watcher)']),
      ...((await apiServer()) ? [] : ['kubernetes API (watcher)']),
    ],
    stop: async () => {
      stopCounting();
      await election.stop();
      stopVerifying?.();
      watcher?.stop();
      await queue.close();
      redis.disconnect();
    },
  };
}
