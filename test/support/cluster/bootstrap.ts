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

/** Name of the fake node kwok animates. */
export const nodeName = 'kwok-node-0';

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
      throw new Error(`applying ${doc.kind} ${doc.metadata?.name ?? ''} from ${file}: ${String(error)}`);
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

async function createNode(core: k8s.CoreV1Api): Promise<void> {
  try {
    await core.createNode({
      body: {
        metadata: {
          name: nodeName,
          labels: { 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux', type: 'kwok' },
          annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        },
      },
    });
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
  await waitUntil(
    async () => {
      const node = await core.readNode({ name: nodeName });
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    },
    { what: `node ${nodeName} to be Ready (kwok)`, timeoutMs: 60_000 },
  );
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
 * Makes a fresh control plane usable: a Ready node, the `default` ServiceAccount
 * (proof the controller-manager runs), and the bot's identity from deploy/, with
 * a kubeconfig holding a token of that ServiceAccount.
 */
export async function bootstrapCluster(state: ClusterState, caCert: string): Promise<void> {
  const kc = adminConfig(state.adminKubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await createNode(core);
  await waitUntil(
    async () => Boolean(await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' })),
    { what: 'the default ServiceAccount (kube-controller-manager)', timeoutMs: 60_000 },
  );
  await applyBotRbac(state.adminKubeconfig);
  await writeBotKubeconfig(state, caCert, core);
}
