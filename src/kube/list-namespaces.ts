// The cluster's namespaces, for `coxswain rbac --from-cluster` (run by an admin
// with their own kubeconfig: the bot itself never lists namespaces).
import { kubeJson, type KubeConnection } from './kube-connection.ts';
import { toKubeError } from './kube-errors.ts';

interface NamespaceList {
  readonly items?: readonly { readonly metadata?: { readonly name?: string } }[];
}

/** Every namespace's name, sorted. */
export async function listNamespaces(connection: KubeConnection): Promise<string[]> {
  const list = await kubeJson<NamespaceList>(connection, '/api/v1/namespaces').catch((error: unknown) => {
    throw toKubeError(error, { server: connection.server, what: 'the list of namespaces' });
  });
  return (list.items ?? [])
    .map((ns) => ns.metadata?.name ?? '')
    .filter(Boolean)
    .sort();
}
