import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { ClusterState } from './cluster.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { waitUntil } from './processes.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');

function adminConfig(kubeconfig: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc;
}

const isConflict = (error: unknown): boolean => error instanceof k8s.ApiException && error.code === 409;

/** Server-side applies every document of a YAML file, so a changed file updates what exists. */
export async function applyFile(kc: k8s.KubeConfig, file: string): Promise<void> {
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const docs = parseAllDocuments(await readFile(file, 'utf8')).map((d) => d.toJS() as k8s.KubernetesObject | null);
  for (const doc of docs) {
    if (!doc?.kind) continue;
    try {
      await objects.patch(doc, undefined, undefined, 'coxswain-test-harness', true, k8s.PatchStrategy.ServerSideApply);
    } catch (error) {
      throw new Error(`applying ${doc.kind} ${doc.metadata?.name ?? ''} from ${file}: ${String(error)}`, {
        cause: error,
      });
    }
  }
}

/** Re-applies the bot's namespace and RBAC from deploy/, so a reused cluster follows the file. */
export async function applyBotRbac(adminKubeconfig: string): Promise<void> {
  const kc = adminConfig(adminKubeconfig);
  await applyFile(kc, join(repoRoot, 'deploy', 'base', 'namespace.yaml'));
  await applyFile(kc, join(repoRoot, 'deploy', 'base', 'rbac.yaml'));
}

/** kwok watches its Logs CRDs from start-up, so they go in before kwok starts. */
export async function installKwokCrds(adminKubeconfig: string): Promise<void> {
  const kc = adminConfig(adminKubeconfig);
  for (const crd of ['kwok.x-k8s.io_logs.yaml', 'kwok.x-k8s.io_clusterlogs.yaml']) {
    await applyFile(kc, join(here, 'crds', crd));
  }
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  await waitUntil(
    async () => {
      const crd = await ext.readCustomResourceDefinition({ name: 'logs.kwok.x-k8s.io' });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
    },
    { what: 'kwok CRDs to be established', timeoutMs: 30_000 },
  );
}

/** The fake nodes kwok animates: three, one per zone of one region, each sized like a common 8-CPU, 32 GiB machine. */
export const nodeNames = ['kwok-node-0', 'kwok-node-1', 'kwok-node-2'] as const;

/** The first node, for tests that need one by name. */
export const nodeName = nodeNames[0];

/** The region the nodes are in, and each ordinary node's zone (topology.kubernetes.io/region and /zone). */
export const region = 'test-region-1';
export const zones = ['test-region-1a', 'test-region-1b', 'test-region-1c'] as const;

/**
 * Capacity and allocatable of a node as a kubelet of an 8-CPU, 32 GiB machine with a 100 GiB disk reports them
 * (allocatable less the kube and system reservations and eviction thresholds). Pods that request resources are
 * scheduled against these, as in a real cluster.
 */
export const nodeCapacity = { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' } as const;
export const nodeAllocatable = { cpu: '7910m', memory: '29Gi', pods: '110', 'ephemeral-storage': '92Gi' } as const;

/**
 * The node for pods created by the thousand (scale tests and benchmarks bind pods to it by name): a NoSchedule taint
 * keeps the scheduler from placing anything else there, so crowds of pods never fill the three ordinary nodes.
 */
export const bulkNodeName = 'kwok-bulk-0';
export const bulkTaint = { key: 'coxswain.test/bulk', value: 'true', effect: 'NoSchedule' } as const;

function nodeBody(name: string, zone: string, bulk: boolean): k8s.V1Node {
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'node.kubernetes.io/instance-type': bulk ? 'kwok-bulk' : 'kwok-8x32',
    'topology.kubernetes.io/region': region,
    'topology.kubernetes.io/zone': zone,
    type: 'kwok',
  };
  const bulkCapacity = { cpu: '1k', memory: '4Ti', pods: '20k', 'ephemeral-storage': '100Ti' };
  return {
    metadata: {
      name,
      labels,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: bulk ? { taints: [{ ...bulkTaint }] } : {},
    // Nodes take their status on create (a kubelet registers that way); kwok keeps what it finds.
    status: {
      capacity: bulk ? bulkCapacity : { ...nodeCapacity },
      allocatable: bulk ? bulkCapacity : { ...nodeAllocatable },
    },
  };
}

async function createNode(core: k8s.CoreV1Api, name: string, zone: string, bulk = false): Promise<void> {
  try {
    await core.createNode({ body: nodeBody(name, zone, bulk) });
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
  await waitUntil(
    async () => {
      const node = await core.readNode({ name });
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    },
    { what: `node ${name} to be Ready (kwok)`, timeoutMs: 60_000 },
  );
}

/** Creates the bulk node (see bulkNodeName) if it is missing and waits until kwok has it Ready. */
export async function ensureBulkNode(kc: k8s.KubeConfig): Promise<string> {
  await createNode(kc.makeApiClient(k8s.CoreV1Api), bulkNodeName, zones[0], true);
  return bulkNodeName;
}

async function writeBotKubeconfig(state: ClusterState, caCert: string, core: k8s.CoreV1Api): Promise<void> {
  const { namespace, name } = state.botServiceAccount;
  await waitUntil(async () => Boolean(await core.readNamespacedServiceAccount({ name, namespace })), {
    what: `ServiceAccount ${namespace}/${name}`,
    timeoutMs: 30_000,
  });
  const request = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 7 * 24 * 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error('the API server returned no token for the bot ServiceAccount');
  await writeKubeconfig(state.botKubeconfig, {
    server: state.apiServerUrl,
    caCert,
    user: `system:serviceaccount:${namespace}:${name}`,
    credentials: { token },
  });
}

/**
 * Makes a fresh control plane usable: three Ready nodes, the default StorageClass, the `default` ServiceAccount (proof
 * the controller-manager runs), and unless `bot` is false the bot's identity from deploy/, with a kubeconfig holding a
 * token of that ServiceAccount.
 */
export async function bootstrapCluster(state: ClusterState, caCert: string, options: { bot: boolean }): Promise<void> {
  const kc = adminConfig(state.adminKubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await Promise.all(nodeNames.map((name, i) => createNode(core, name, zones[i] ?? zones[0])));
  await applyFile(kc, join(here, 'storage-class.yaml'));
  await waitUntil(
    async () => Boolean(await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' })),
    { what: 'the default ServiceAccount (kube-controller-manager)', timeoutMs: 60_000 },
  );
  if (!options.bot) return;
  await applyBotRbac(state.adminKubeconfig);
  await writeBotKubeconfig(state, caCert, core);
}
