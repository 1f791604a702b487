// Integration suite set-up: a real Redis and a real Kubernetes control plane.
// Reuses what already runs (CI and `npm run cluster -- up` start them first), or
// starts them, and records what it started so global-teardown stops only that.
import { applyBotRbac } from '../cluster/bootstrap.ts';
import { clusterDir, isClusterHealthy, readClusterState, startCluster } from '../cluster/cluster.ts';
import { pingRedis, startPrivateRedis, type PrivateRedis } from '../redis-server.ts';

declare global {
  var __coxswainStarted: { cluster?: string; redis?: PrivateRedis } | undefined;
}

async function ensureRedis(): Promise<PrivateRedis | undefined> {
  const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  if (await pingRedis(url)) {
    process.env['REDIS_URL'] = url;
    return undefined;
  }
  const redis = await startPrivateRedis({ appendOnly: false }).catch((error: unknown) => {
    throw new Error(
      `no Redis answers at ${url}, and starting redis-server failed (${String(error)}); install it: apt-get install redis-server`,
    );
  });
  process.env['REDIS_URL'] = redis.url;
  return redis;
}

async function ensureCluster(): Promise<string | undefined> {
  const dir = clusterDir();
  const current = await readClusterState(dir);
  if (current && (await isClusterHealthy(current))) {
    await applyBotRbac(current.adminKubeconfig);
    process.env['COXSWAIN_CLUSTER_DIR'] = dir;
    return undefined;
  }
  await startCluster({ dir });
  process.env['COXSWAIN_CLUSTER_DIR'] = dir;
  return dir;
}

export default async function globalSetup(): Promise<void> {
  const redis = await ensureRedis();
  const cluster = await ensureCluster();
  globalThis.__coxswainStarted = { ...(redis ? { redis } : {}), ...(cluster ? { cluster } : {}) };
}
