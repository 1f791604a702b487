// The gateway role: Bolt (HTTP or Socket Mode) takes /k8s commands and button
// clicks, decides, queues and acks. Loaded only by processes that run it.
import { createAlertStore } from '../alerts/alert-store.ts';
import { createApprovalStore } from '../approvals/approval-store.ts';
import { createApprovals } from '../approvals/create-approvals.ts';
import { createHoldStore } from '../holds/hold-store.ts';
import { createJobQueue, keyPrefix } from '../queue/job-queue.ts';
import { createRequestLimits } from '../queue/request-limits.ts';
import { announcedHolds } from '../slack/hold-notices.ts';
import { learnHomeWorkspaces } from '../slack/home-workspaces.ts';
import { createWorkspaceGate } from '../slack/workspace-gate.ts';
import { registerAlertActions } from '../slack/alert-actions.ts';
import { createApprovalFlow } from '../slack/approval-flow.ts';
import { registerApprovalActions } from '../slack/approval-actions.ts';
import { createWebClient } from '../slack/create-web-client.ts';
import { startGateway } from '../slack/create-gateway.ts';
import type { GatewayDeps } from '../slack/handle-command.ts';
import { openRedis, redisPing, redisReady, safeRedisUrl, type RunningRoles, type Shared } from './role-kit.ts';

/** Starts the gateway; resolves once it listens (or is connected, in Socket Mode). */
export async function startGatewayRole(o: Shared): Promise<RunningRoles> {
  const { config, log } = o;
  // Fail fast: with no offline queue a Redis outage is answered at once ("try again"), not after Slack's 3 s.
  const redis = openRedis(config, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  redis.on('error', (error: Error) =>
    log('warn', 'redis (gateway)', { url: safeRedisUrl(config.redisUrl), error: error.message }),
  );
  // Without an offline queue, commands before the first connection would fail: take requests once Redis is up.
  if (!(await redisReady(redis, 5000)))
    log('warn', 'Redis is not reachable yet; commands will be refused until it is', {
      url: safeRedisUrl(config.redisUrl),
    });
  // BullMQ's job scripts would sit in front of the claim on a shared connection; the ack waits only for the claim.
  const queueRedis = openRedis(config, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  queueRedis.on('error', (error: Error) =>
    log('warn', 'redis (gateway queue)', { url: safeRedisUrl(config.redisUrl), error: error.message }),
  );
  await redisReady(queueRedis, 5000);
  const queue = createJobQueue(config.cluster, queueRedis, o.sealer);
  const client = createWebClient(config, log);
  const store = createApprovalStore(redis, keyPrefix(config.cluster), o.sealer);
  const approvals = createApprovals({
    store,
    flow: createApprovalFlow({ client, queue, cluster: config.cluster, log }),
    authorizer: o.authorizer,
    audit: o.audit,
    log,
  });
  const home = learnHomeWorkspaces({ configured: config.slack.teamIds, client, log });
  // Learned before requests are taken when Slack answers at once; otherwise requests are refused until it does.
  await Promise.race([
    home.known,
    new Promise((resolve) => {
      setTimeout(resolve, 5000).unref();
    }),
  ]);
  const workspaces = createWorkspaceGate({
    home: () => home.current(),
    admitsGuest: (user, team) => o.authorizer.admitsGuest(user, team),
  });
  const holdStore = createHoldStore(redis, keyPrefix(config.cluster), { maxHoldMs: config.maxHoldMs });
  const holds = announcedHolds(holdStore, client, log);
  const deps: GatewayDeps = {
    registry: o.registry,
    cluster: config.cluster,
    client,
    redis,
    queue,
    keyPrefix: keyPrefix(config.cluster),
    log,
    authorizer: o.authorizer,
    defaultNamespace: () => o.policy.current().defaultNamespace ?? config.defaultNamespace,
    audit: o.audit,
    holds: { ...holds, blocking: (namespace, deployment, userId) => holdStore.blocking(namespace, deployment, userId) },
    workspaces,
    alerts: createAlertStore(redis, keyPrefix(config.cluster)),
    limits: createRequestLimits(redis, {
      prefix: keyPrefix(config.cluster),
      ...config.rates,
      maxQueuedPerUser: config.maxQueuedPerUser,
    }),
    approvals,
  };
  const gateway = await startGateway({
    config,
    ready: o.ready,
    extend: (app) => {
      registerApprovalActions(app, { approvals, audit: o.audit, workspaces }, log);
      registerAlertActions(app, deps, log);
    },
    deps,
  });
  log('info', 'gateway listening', { port: gateway.port, socketMode: Boolean(config.slack.appToken) });
  return {
    port: gateway.port,
    // Both connections: the claim's and the queue's; either down and commands are refused.
    ready: async () =>
      (await Promise.all([redisPing(redis)(), redisPing(queueRedis)()])).every(Boolean) ? [] : ['redis (gateway)'],
    stop: async () => {
      home.stop();
      await gateway.stop();
      await holds.settle();
      await queue.close();
      queueRedis.disconnect();
      redis.disconnect();
    },
  };
}
