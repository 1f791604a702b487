// The worker role: runs queued jobs against the cluster through client-node,
// delivers alerts to Slack, sweeps expired approvals. Loaded only by processes that run it.
import { createApprovalStore } from '../approvals/approval-store.ts';
import { startExpirySweeper } from '../approvals/sweep-expired.ts';
import { createApprovals } from '../approvals/create-approvals.ts';
import { apiServerProbe } from '../kube/api-server-ready.ts';
import type { KubeApi } from '../kube/kube-api.ts';
import { createHoldStore } from '../holds/hold-store.ts';
import { watchQueueDepth } from '../metrics/metrics.ts';
import { acquireDeploymentLock } from '../queue/deployment-lock.ts';
import { createJobQueue, keyPrefix } from '../queue/job-queue.ts';
import { createRequestLimits } from '../queue/request-limits.ts';
import { logsRequesterOnly } from '../policy/decide.ts';
import { startWorker } from '../queue/start-worker.ts';
import { createAlertSlack } from '../slack/alert-slack.ts';
import { createApprovalFlow } from '../slack/approval-flow.ts';
import { createWebClient } from '../slack/create-web-client.ts';
import { createSlackMessenger } from '../slack/slack-messenger.ts';
import { createAlertQueue } from '../alerts/alert-queue.ts';
import { startAlertDelivery } from '../alerts/alert-delivery.ts';
import { createAlertStore } from '../alerts/alert-store.ts';
import { createSlackPace } from '../alerts/slack-pace.ts';
import { createRolloutMarks } from '../alerts/rollout-marks.ts';
import { openRedis, redisPing, safeRedisUrl, type RunningRoles, type Shared } from './role-kit.ts';

/** Starts consuming the cluster's job queue and its alert queue. */
export async function startWorkerRole(o: Shared): Promise<RunningRoles> {
  const { config, log } = o;
  const redis = openRedis(config, { maxRetriesPerRequest: null });
  redis.on('error', (error: Error) =>
    log('warn', 'redis (worker)', { url: safeRedisUrl(config.redisUrl), error: error.message }),
  );
  const client = createWebClient(config, log);
  const access = await o.access();
  const wrap = o.wrapKube ?? ((api: KubeApi) => api);
  const kube = wrap(access.kube);
  const store = createApprovalStore(redis, keyPrefix(config.cluster), o.sealer);
  const producer = createJobQueue(config.cluster, redis, o.sealer);
  const approvals = createApprovals({
    store,
    flow: createApprovalFlow({ client, queue: producer, cluster: config.cluster, log }),
    authorizer: o.authorizer,
    audit: o.audit,
    log,
    kube,
  });
  // Every worker sweeps; the store hands each expired request to exactly one of them.
  const sweeper = startExpirySweeper({ sweep: () => approvals.expireDue(), log, everyMs: 1000 });
  const prefix = keyPrefix(config.cluster);
  const requestLimits = createRequestLimits(redis, { prefix, maxQueuedPerUser: config.maxQueuedPerUser });
  const alertQueue = createAlertQueue(config.cluster, redis, prefix);
  const delivery = startAlertDelivery(
    {
      store: createAlertStore(redis, prefix),
      kube,
      slack: createAlertSlack(client),
      pace: createSlackPace(redis, prefix),
      rollouts: createRolloutMarks(redis, prefix),
      log,
    },
    { cluster: config.cluster, connection: redis, redis, keyPrefix: prefix, queue: alertQueue },
  );
  const worker = startWorker(
    {
      rollouts: createRolloutMarks(redis, prefix),
      registry: o.registry,
      rolloutTimeoutMs: config.rolloutTimeoutMs,
      kube,
      kubeAs: (identity) => wrap(access.kubeAs(identity)),
      cluster: config.cluster,
      log,
      authorizer: o.authorizer,
      audit: o.audit,
      approvals,
      holds: createHoldStore(redis, keyPrefix(config.cluster), { maxHoldMs: config.maxHoldMs }),
      jobEnded: (userId, jobId) => requestLimits.jobEnded(userId, jobId),
      sealer: o.sealer,
      logsRequesterOnly: (namespace) => logsRequesterOnly(o.policy.current(), namespace),
      messengerFor: (payload) => createSlackMessenger(client, payload, log),
      lock: (target, holder, onWait) =>
        acquireDeploymentLock(redis, { prefix: keyPrefix(config.cluster), target, holder, onWait }),
    },
    { cluster: config.cluster, connection: redis, jobLeaseMs: config.jobLeaseMs },
  );
  log('info', 'worker consuming', { queue: `${keyPrefix(config.cluster)}` });
  const stopCounting = watchQueueDepth(async () => ({ [config.cluster]: await producer.counts() }));
  const apiServer = apiServerProbe(await o.connection());
  return {
    ready: async () => [
      ...((await redisPing(redis)()) ? [] : ['redis (worker)']),
      ...((await apiServer()) ? [] : ['kubernetes API (worker)']),
    ],
    stop: async () => {
      stopCounting();
      sweeper.stop();
      await worker.close();
      await delivery.close();
      await alertQueue.close();
      await producer.close();
      redis.disconnect();
    },
  };
}
