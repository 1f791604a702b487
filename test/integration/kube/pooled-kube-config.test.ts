// client-node makes a new undici Agent per call, so every typed call was a new
// TCP connection and TLS handshake. The pooled KubeConfig keeps one Agent per TLS
// setup: many calls, one connection; impersonated calls share it; a new setup
// (a rotated certificate) gets its own.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { createClusterAccess } from '../../../src/kube/create-kube-api.ts';
import { PooledKubeConfig } from '../../../src/kube/pooled-kube-config.ts';
import { useTestNamespace } from '../../support/kube.ts';

const ns = useTestNamespace('kube-pool');

/** Counts the TLS connections undici opens to the API server while `work` runs. */
async function connectionsDuring(work: () => Promise<unknown>): Promise<number> {
  const server = new URL(ns.bot.getCurrentCluster()?.server ?? '').host;
  let opened = 0;
  const onConnect = (message: unknown): void => {
    const { connectParams } = message as { connectParams?: { host?: string } };
    if (connectParams?.host === server) opened++;
  };
  subscribe('undici:client:connected', onConnect);
  try {
    await work();
  } finally {
    unsubscribe('undici:client:connected', onConnect);
  }
  return opened;
}

const listPods = (config: k8s.KubeConfig): Promise<unknown> =>
  config.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: ns.name });

let pooled: PooledKubeConfig | undefined;
afterEach(async () => {
  await pooled?.dispatchers.close();
});

describe('PooledKubeConfig', () => {
  it('serves ten typed calls over one connection, where client-node alone opens ten', async () => {
    const plain = new k8s.KubeConfig();
    plain.loadFromFile(ns.cluster.botKubeconfig);
    const unpooled = await connectionsDuring(async () => {
      for (let i = 0; i < 10; i++) await listPods(plain);
    });
    pooled = new PooledKubeConfig();
    pooled.loadFromFile(ns.cluster.botKubeconfig);
    const config = pooled;
    const shared = await connectionsDuring(async () => {
      for (let i = 0; i < 10; i++) await listPods(config);
      await Promise.all(Array.from({ length: 5 }, () => listPods(config)));
    });
    expect(unpooled).toBe(10);
    expect(shared).toBeLessThanOrEqual(2); // one, or a second while the first was busy (HTTP/1.1)
    expect(pooled.dispatchers.size).toBe(1);
  });

  it('gives a different TLS setup its own Agent, and keeps a handful at most', async () => {
    pooled = new PooledKubeConfig();
    pooled.loadFromFile(ns.cluster.botKubeconfig);
    await listPods(pooled);
    const cluster = pooled.getCurrentCluster();
    for (let i = 0; i < 6; i++) {
      // Another CA bundle is another setup (the same CA twice, so the calls still succeed).
      const caData = Buffer.from(`${Buffer.from(cluster?.caData ?? '', 'base64').toString()}\n`.repeat(i + 2)).toString(
        'base64',
      );
      pooled.clusters = pooled.clusters.map((c) => ({ ...c, caData }));
      await listPods(pooled);
    }
    expect(pooled.dispatchers.size).toBe(4);
  });

  it('lets calls as another identity share the connection, still refused by RBAC as that identity', async () => {
    const access = createClusterAccess({ kubeconfigPath: ns.cluster.botKubeconfig });
    const opened = await connectionsDuring(async () => {
      await access.kube.listPods(ns.name);
      await expect(access.kubeAs({ user: 'nobody@example.com', groups: [] }).listPods(ns.name)).rejects.toMatchObject({
        code: 'forbidden',
      });
      await access.kube.listPods(ns.name);
    });
    expect(opened).toBeLessThanOrEqual(2); // HTTP/2 for the bot's calls, HTTP/1.1 for impersonation
  });
});
