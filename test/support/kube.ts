// Kubernetes helpers for integration tests: clients for the admin and the bot
// identity, a fresh namespace per test file, and waiting on watches.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { clusterDir, readClusterState, type ClusterState } from './cluster/cluster.ts';
import { waitUntil } from './cluster/processes.ts';
import { grantBotWrites, loadKubeConfig } from './kube-objects.ts';

export { grantBotWrites, loadKubeConfig, makeDeployment, type DeploymentOptions } from './kube-objects.ts';

/** The running test cluster (started by the jest global setup). */
export async function testCluster(): Promise<ClusterState> {
  const state = await readClusterState(process.env['COXSWAIN_CLUSTER_DIR'] ?? clusterDir());
  if (!state) throw new Error("no test cluster is running; the integration project's global setup starts one");
  return state;
}

/** What a test file gets from useTestNamespace: its namespace and typed clients. */
export interface TestNamespace {
  readonly name: string;
  readonly cluster: ClusterState;
  readonly admin: k8s.KubeConfig;
  readonly bot: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
}

async function waitForDefaultServiceAccount(core: k8s.CoreV1Api, namespace: string): Promise<void> {
  await waitUntil(async () => Boolean(await core.readNamespacedServiceAccount({ name: 'default', namespace })), {
    what: `ServiceAccount default in ${namespace}`,
    timeoutMs: 30_000,
  });
}

/** Options of useTestNamespace. */
export interface TestNamespaceOptions {
  /** Grant the bot write rights there, as `coxswain rbac` would for a policy that changes it. Default true. */
  readonly botWrites?: boolean;
}

/**
 * Gives the calling test file a fresh namespace (its `default` ServiceAccount
 * ready, so Deployments can create pods; the bot's write grant, unless told not
 * to) and deletes it afterwards. The object is filled in by beforeAll; read its
 * fields inside tests only.
 */
export function useTestNamespace(prefix: string, options: TestNamespaceOptions = {}): TestNamespace {
  const ns = {} as { -readonly [K in keyof TestNamespace]: TestNamespace[K] };
  beforeAll(async () => {
    ns.cluster = await testCluster();
    ns.admin = loadKubeConfig(ns.cluster.adminKubeconfig);
    ns.bot = loadKubeConfig(ns.cluster.botKubeconfig);
    ns.core = ns.admin.makeApiClient(k8s.CoreV1Api);
    ns.apps = ns.admin.makeApiClient(k8s.AppsV1Api);
    ns.name = `${prefix}-${randomBytes(3).toString('hex')}`;
    await ns.core.createNamespace({ body: { metadata: { name: ns.name, labels: { 'coxswain.test/owner': prefix } } } });
    await waitForDefaultServiceAccount(ns.core, ns.name);
    if (options.botWrites !== false) await grantBotWrites(ns.admin, ns.name);
  });
  afterAll(async () => {
    if (ns.name) await ns.core.deleteNamespace({ name: ns.name }).catch(() => undefined);
  });
  return ns;
}

/** Options of waitForObject. */
export interface WaitForObjectOptions {
  readonly what: string;
  readonly timeoutMs?: number;
}

/**
 * Watches `path` (a list URL such as /api/v1/namespaces/x/pods) until an object
 * satisfies `predicate`, and resolves with it. Event-driven: it wakes on the
 * API server's watch events, not on a sleep.
 */
export async function waitForObject<T extends k8s.KubernetesObject>(
  kc: k8s.KubeConfig,
  path: string,
  predicate: (obj: T) => boolean,
  options: WaitForObjectOptions,
): Promise<T> {
  const watch = new k8s.Watch(kc);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let last: T | undefined;
  let request: AbortController | undefined;
  try {
    return await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${options.what}; last seen: ${JSON.stringify((last as { status?: unknown } | undefined)?.status ?? last ?? null).slice(0, 2000)}`,
            ),
          ),
        timeoutMs,
      );
      const onEvent = (_type: string, obj: T): void => {
        last = obj;
        if (predicate(obj)) {
          clearTimeout(timer);
          resolve(obj);
        }
      };
      const onDone = (err: unknown): void => {
        if (err) {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
        }
      };
      watch.watch(path, {}, onEvent, onDone).then((c) => {
        request = c;
      }, reject);
    });
  } finally {
    request?.abort();
  }
}

/** Serves `lines` as the current (and optionally previous) log of a pod's container, through kwok. */
export async function servePodLogs(
  ns: TestNamespace,
  pod: string,
  logs: { current: string[]; previous?: string[] },
): Promise<void> {
  const toCri = (lines: string[]): string =>
    lines.map((l, i) => `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000000000Z stdout F ${l}`).join('\n') +
    '\n';
  const current = join(ns.cluster.podLogsDir, `${ns.name}_${pod}.log`);
  await writeFile(current, toCri(logs.current));
  const spec: { logsFile: string; previousLogsFile?: string } = { logsFile: current };
  if (logs.previous) {
    spec.previousLogsFile = join(ns.cluster.podLogsDir, `${ns.name}_${pod}.previous.log`);
    await writeFile(spec.previousLogsFile, toCri(logs.previous));
  }
  const objects = k8s.KubernetesObjectApi.makeApiClient(ns.admin);
  await objects.create({
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Logs',
    metadata: { name: pod, namespace: ns.name },
    spec: { logs: [{ containers: [], ...spec }] },
  } as k8s.KubernetesObject);
}
