// The pod informer as the bot's ServiceAccount against a real API server: paging
// a 1,200-pod list, watch events, resuming cut watches without relisting,
// relisting on a real 410, and, on a private cluster of this file's own, an API
// server stopped for 10 s and started again.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import type { AppError } from '../../../src/errors.ts';
import { connectionOver, kubeUrl, type KubeConnection } from '../../../src/kube/kube-connection.ts';
import { kubeconfigCredentials } from '../../../src/kube/kube-credentials.ts';
import {
  startPodInformer,
  type PodEventType,
  type PodInformer,
  type PodInformerOptions,
  type PodJson,
} from '../../../src/kube/pod-informer.ts';
import type { ClusterState } from '../../support/cluster/cluster.ts';
import { waitUntil } from '../../support/cluster/processes.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import { usePrivateCluster } from '../../support/private-cluster.ts';

/**
 * What a caller of the informer would hold, with a check of every callback against
 * it: a pod LISTED twice in one list, ADDED when known, MODIFIED or DELETED when
 * unknown is a problem. Its pods (key → resourceVersion) must end up as the server's.
 */
class Mirror {
  readonly pods = new Map<string, string>();
  readonly problems: string[] = [];
  readonly errors: AppError[] = [];
  readonly fatal: AppError[] = [];
  /** Requests, list starts and ends and failures, timed: shown when the mirror goes wrong. */
  readonly trace: string[] = [];
  private readonly since = Date.now();
  readonly counts: Record<PodEventType, number> = { LISTED: 0, ADDED: 0, MODIFIED: 0, DELETED: 0 };
  listStarts = 0;
  listEnds = 0;
  private unconfirmed = new Set<string>();
  private listed = new Set<string>();

  readonly callbacks: Pick<PodInformerOptions, 'onListStart' | 'onPod' | 'onListEnd' | 'onError' | 'onFatal'> = {
    onListStart: () => {
      this.note('list start');
      this.listStarts += 1;
      this.unconfirmed = new Set(this.pods.keys());
      this.listed = new Set();
    },
    onPod: (type, pod) => this.apply(type, pod),
    onListEnd: () => {
      this.note('list end');
      this.listEnds += 1;
      for (const key of this.unconfirmed) this.pods.delete(key);
    },
    onError: (error, retryInMs) => {
      this.note(
        `error ${error.userMessage} (${String((error.cause as Error | undefined)?.message)}), retry in ${retryInMs} ms`,
      );
      this.errors.push(error);
    },
    onFatal: (error) => {
      this.note(`fatal ${error.userMessage}`);
      this.fatal.push(error);
    },
  };

  note(what: string): void {
    this.trace.push(`${Date.now() - this.since} ms ${what}`);
  }

  private apply(type: PodEventType, pod: PodJson): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const known = this.pods.has(key);
    this.counts[type] += 1;
    if (type === 'LISTED' && this.listed.has(key)) this.problems.push(`${key} LISTED twice in one list`);
    if (type === 'ADDED' && known) this.problems.push(`${key} ADDED while known`);
    if ((type === 'MODIFIED' || type === 'DELETED') && !known) this.problems.push(`${key} ${type} while unknown`);
    this.listed.add(key);
    this.unconfirmed.delete(key);
    if (type === 'DELETED') this.pods.delete(key);
    else this.pods.set(key, pod.metadata?.resourceVersion ?? '');
  }
}

/** The bot's connection, recording the URL of every request the informer makes. */
function recordingConnection(kubeconfig: string, mirror: Mirror): { connection: KubeConnection; urls: URL[] } {
  const urls: URL[] = [];
  const connection = connectionOver(kubeconfigCredentials(kubeconfig));
  const recording: KubeConnection = {
    ...connection,
    request: (path, request) => {
      const url = kubeUrl(connection.server, path, request?.query);
      mirror.note(`GET ${url.pathname}${url.search}`);
      urls.push(url);
      return connection.request(path, request);
    },
  };
  connections.push(connection);
  return { connection: recording, urls };
}

const isWatch = (url: URL): boolean => url.searchParams.get('watch') === 'true';

let informer: PodInformer | undefined;
const connections: KubeConnection[] = [];

afterEach(async () => {
  informer?.stop();
  informer = undefined;
  await Promise.all(connections.splice(0).map((c) => c.close()));
});

interface Started {
  readonly mirror: Mirror;
  readonly requests: URL[];
}

function startMirrored(kubeconfig: string, options: Partial<PodInformerOptions>): Started {
  const mirror = new Mirror();
  const { connection, urls: requests } = recordingConnection(kubeconfig, mirror);
  informer = startPodInformer({ connection, ...mirror.callbacks, ...options });
  return { mirror, requests };
}

async function serverPods(core: k8s.CoreV1Api, namespace: string): Promise<Map<string, string>> {
  const list = await core.listNamespacedPod({ namespace });
  return new Map(list.items.map((p) => [`${namespace}/${p.metadata?.name}`, p.metadata?.resourceVersion ?? '']));
}

/** Waits until the mirror holds exactly the server's pods at their current resourceVersions. */
async function waitForMirror(
  mirror: Mirror,
  core: k8s.CoreV1Api,
  namespace: string,
  timeoutMs = 30_000,
): Promise<void> {
  let server = new Map<string, string>();
  try {
    await waitUntil(
      async () => {
        server = await serverPods(core, namespace);
        return JSON.stringify([...server].sort()) === JSON.stringify([...mirror.pods].sort());
      },
      { what: "the informer to hold the server's pods", timeoutMs, intervalMs: 200 },
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\nserver: ${JSON.stringify([...server].sort())}\nmirror: ${JSON.stringify([...mirror.pods].sort())}\n${mirror.trace.join('\n')}`,
      { cause: error },
    );
  }
}

const podBody = (name: string, labels: Record<string, string> = {}, spec: Partial<k8s.V1PodSpec> = {}): k8s.V1Pod => ({
  metadata: { name, labels },
  spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/web:1.0' }], ...spec },
});

async function createPods(
  core: k8s.CoreV1Api,
  namespace: string,
  bodies: readonly k8s.V1Pod[],
  parallel = 16,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      await core.createNamespacedPod({ namespace, body });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

describe('the pod informer on the shared cluster', () => {
  const bulk = useTestNamespace('informer-bulk');
  const ns = useTestNamespace('informer');
  const podCount = 1_200;

  beforeAll(async () => {
    // No scheduler takes these, so neither the scheduler nor kwok works for them: the list is the load.
    const unscheduled = { schedulerName: 'coxswain-test-unscheduled' };
    await createPods(
      bulk.core,
      bulk.name,
      Array.from({ length: podCount }, (_, i) => podBody(`p-${String(i).padStart(4, '0')}`, {}, unscheduled)),
    );
  }, 120_000);

  it("lists 1,200 pods in pages of 500, each exactly once, then watches from the list's resourceVersion", async () => {
    const { mirror, requests } = startMirrored(bulk.cluster.botKubeconfig, { namespace: bulk.name });
    await waitUntil(async () => mirror.listEnds === 1, { what: 'the list to end', timeoutMs: 30_000, intervalMs: 20 });
    expect(mirror.problems).toEqual([]);
    expect(mirror.counts.LISTED).toBe(podCount);
    expect(mirror.pods.size).toBe(podCount);
    const lists = requests.filter((u) => !isWatch(u));
    expect(
      lists.map((u) => [u.pathname, u.searchParams.get('limit'), Boolean(u.searchParams.get('continue'))]),
    ).toEqual([
      [`/api/v1/namespaces/${bulk.name}/pods`, '500', false],
      [`/api/v1/namespaces/${bulk.name}/pods`, '500', true],
      [`/api/v1/namespaces/${bulk.name}/pods`, '500', true],
    ]);
    await waitUntil(async () => requests.some(isWatch), { what: 'the watch', timeoutMs: 10_000, intervalMs: 20 });
    const watch = requests.find(isWatch);
    expect(watch?.searchParams.get('resourceVersion')).toBe(informer?.resourceVersion());
    expect(watch?.searchParams.get('allowWatchBookmarks')).toBe('true');
    expect(informer?.synced()).toBe(true);
    expect(mirror.errors).toEqual([]);
  }, 60_000);

  it("reports a pod's creation, changes and deletion, and a Deployment's pods", async () => {
    const { mirror } = startMirrored(ns.cluster.botKubeconfig, { namespace: ns.name });
    await waitUntil(async () => informer?.synced() === true, { what: 'the informer to sync', intervalMs: 20 });
    await ns.core.createNamespacedPod({ namespace: ns.name, body: podBody('solo') });
    await waitUntil(async () => mirror.counts.ADDED === 1, { what: 'solo to be ADDED', intervalMs: 20 });
    await ns.core.patchNamespacedPod({
      name: 'solo',
      namespace: ns.name,
      body: [{ op: 'add', path: '/metadata/labels', value: { tier: 'x' } }],
    });
    await ns.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: makeDeployment('web', 'ghcr.io/acme/web:1.0', { replicas: 2 }),
    });
    await waitUntil(
      async () => {
        const web = await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=web' });
        return web.items.length === 2 && web.items.every((p) => p.status?.phase === 'Running');
      },
      { what: "web's two pods to run", intervalMs: 100 },
    );
    await waitForMirror(mirror, ns.core, ns.name);
    expect([...mirror.pods.keys()].filter((k) => k.includes('/web-'))).toHaveLength(2);
    await ns.core.deleteNamespacedPod({ name: 'solo', namespace: ns.name, gracePeriodSeconds: 0 });
    await waitUntil(async () => mirror.counts.DELETED === 1, { what: 'solo to be DELETED', intervalMs: 20 });
    await waitForMirror(mirror, ns.core, ns.name);
    expect(mirror.counts.ADDED).toBe(3);
    expect(mirror.counts.MODIFIED).toBeGreaterThanOrEqual(3);
    expect(mirror.problems).toEqual([]);
    expect(mirror.listStarts).toBe(1);
    expect(mirror.errors).toEqual([]);
  });

  it('watches all namespaces, narrowed by a label selector', async () => {
    const label = `t-${randomBytes(3).toString('hex')}`;
    const { mirror, requests } = startMirrored(ns.cluster.botKubeconfig, {
      labelSelector: `coxswain.test/informer=${label}`,
    });
    await waitUntil(async () => informer?.synced() === true, { what: 'the informer to sync', intervalMs: 20 });
    expect(mirror.counts.LISTED).toBe(0);
    await createPods(ns.core, ns.name, [podBody('labelled', { 'coxswain.test/informer': label }), podBody('plain')]);
    await waitUntil(async () => mirror.counts.ADDED === 1, { what: 'labelled to be ADDED', intervalMs: 20 });
    expect([...mirror.pods.keys()]).toEqual([`${ns.name}/labelled`]);
    expect(requests.every((u) => u.pathname === '/api/v1/pods')).toBe(true);
  });

  it('resumes watches the server ends from the last resourceVersion, without relisting or missing an event', async () => {
    const { mirror, requests } = startMirrored(ns.cluster.botKubeconfig, {
      namespace: ns.name,
      watchTimeoutSeconds: 1,
    });
    await waitUntil(async () => informer?.synced() === true, { what: 'the informer to sync', intervalMs: 20 });
    for (let i = 0; i < 4; i += 1) {
      await ns.core.createNamespacedPod({ namespace: ns.name, body: podBody(`resumed-${i}`) });
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    await waitUntil(async () => requests.filter(isWatch).length >= 4, {
      what: 'four watches',
      timeoutMs: 15_000,
      intervalMs: 50,
    });
    await waitForMirror(mirror, ns.core, ns.name);
    const watches = requests.filter(isWatch);
    expect(
      watches.every((u) => u.searchParams.get('timeoutSeconds') === '1' && u.searchParams.get('resourceVersion')),
    ).toBe(true);
    expect(new Set(watches.map((u) => u.searchParams.get('resourceVersion'))).size).toBeGreaterThan(1);
    expect(mirror.listStarts).toBe(1);
    expect(requests.filter((u) => !isWatch(u))).toHaveLength(1);
    expect(mirror.problems).toEqual([]);
    expect(mirror.errors).toEqual([]);
  });

  it("resumes from an old resourceVersion: relists when the server answers 410, and ends with the server's pods either way", async () => {
    // resourceVersion 1 predates the watch cache; on a cluster older than the API server's etcd compaction (5 min)
    // it is gone for good and the server answers 410. A young cluster (CI starts one) may still serve it from etcd
    // and replay the namespace's history instead. The relist itself is also tested on a fake server (unit tests).
    await compactEtcd(ns.cluster);
    const { mirror, requests } = startMirrored(ns.cluster.botKubeconfig, { namespace: ns.name, resumeFrom: '1' });
    await waitForMirror(mirror, ns.core, ns.name);
    expect(
      requests[0] && isWatch(requests[0]) ? `watch@${requests[0].searchParams.get('resourceVersion')}` : 'list',
    ).toBe('watch@1');
    const relisted = requests.some((u) => !isWatch(u));
    if (relisted) expect(mirror.listStarts).toBe(1);
    expect(mirror.problems).toEqual([]);
    expect(mirror.errors).toEqual([]);
  });
});

/**
 * Compacts the cluster's etcd to its current revision through etcd's JSON gateway (the etcd URL from its recorded
 * args).
 */
async function compactEtcd(cluster: ClusterState): Promise<void> {
  const etcd = cluster.components.find((c) => c.name === 'etcd');
  const url = etcd?.args?.find((a) => a.startsWith('--listen-client-urls='))?.split('=')[1];
  if (!url)
    throw new Error(
      "the cluster state does not record etcd's arguments; restart it with `npm run cluster -- up --restart`",
    );
  const range = await fetch(`${url}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from('/').toString('base64') }),
  });
  const revision = ((await range.json()) as { header: { revision: string } }).header.revision;
  const compacted = await fetch(`${url}/v3/kv/compaction`, {
    method: 'POST',
    body: JSON.stringify({ revision, physical: true }),
  });
  if (!compacted.ok) throw new Error(`etcd compaction failed: HTTP ${compacted.status} ${await compacted.text()}`);
}

describe('the pod informer when the API server is down for 10 s', () => {
  const cluster = usePrivateCluster('informer');
  const namespace = 'outage';

  beforeAll(async () => {
    await cluster.core.createNamespace({ body: { metadata: { name: namespace } } });
    await waitUntil(
      async () => Boolean(await cluster.core.readNamespacedServiceAccount({ name: 'default', namespace })),
      { what: 'ServiceAccount default', timeoutMs: 30_000 },
    );
    await createPods(
      cluster.core,
      namespace,
      ['before-0', 'before-1', 'before-2'].map((n) => podBody(n)),
    );
  }, 60_000);

  it('resumes or relists by itself and misses nothing that changed meanwhile', async () => {
    const { mirror, requests } = startMirrored(cluster.state.botKubeconfig, { namespace, maxBackoffMs: 4_000 });
    await waitForMirror(mirror, cluster.core, namespace);
    const requestsBefore = requests.length;

    mirror.note('stopping the API server');
    await cluster.restartApiServer({ downMs: 10_000 });
    mirror.note('the API server is back');
    // Changed as soon as the API server is back: the informer may still be backing off (up to 4 s)
    // or already watching again; either way it must report all of it, once.
    await createPods(
      cluster.core,
      namespace,
      ['after-0', 'after-1', 'after-2'].map((n) => podBody(n)),
    );
    await cluster.core.deleteNamespacedPod({ name: 'before-0', namespace, gracePeriodSeconds: 0 });
    await cluster.core.patchNamespacedPod({
      name: 'before-1',
      namespace,
      body: [{ op: 'add', path: '/metadata/labels', value: { touched: 'yes' } }],
    });

    await waitForMirror(mirror, cluster.core, namespace, 60_000);
    expect([...mirror.pods.keys()].sort()).toEqual(
      ['before-1', 'before-2', 'after-0', 'after-1', 'after-2'].map((n) => `${namespace}/${n}`).sort(),
    );
    expect(mirror.problems).toEqual([]);
    expect(mirror.fatal).toEqual([]);
    expect(mirror.errors.length).toBeGreaterThan(0);
    // A kube-apiserver that has just started refuses (403) until its RBAC caches are filled.
    expect(mirror.errors.filter((e) => e.code !== 'unavailable' && e.code !== 'forbidden')).toEqual([]);
    expect(requests.length).toBeGreaterThan(requestsBefore);
    expect(informer?.synced()).toBe(true);
  }, 150_000);
});
