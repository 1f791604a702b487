// What the bot's own Kubernetes identity may do in a namespace, asked of the API
// server itself (SelfSubjectRulesReview), for the start-up self-check: a policy
// that lets people deploy where the bot cannot is found at start, not at the
// first deploy.
import * as k8s from '@kubernetes/client-node';
import { callKube } from './call-kube.ts';
import type { KubeClients } from './kube-clients.ts';

/** One API permission: verb on group/resource. */
export interface ApiPermission {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
}

const matches = (list: readonly string[] | undefined, value: string): boolean => (list ?? []).some((v) => v === '*' || v === value);

/** The permissions of `wanted` the bot lacks in `namespace` (rules limited to resource names do not count). */
export async function missingPermissions(clients: KubeClients, namespace: string, wanted: readonly ApiPermission[]): Promise<ApiPermission[]> {
  const api = clients.config.makeApiClient(k8s.AuthorizationV1Api);
  const review = await callKube(clients, `the bot's permissions in namespace "${namespace}"`,
    () => api.createSelfSubjectRulesReview({ body: { spec: { namespace } } }));
  const rules = (review.status?.resourceRules ?? []).filter((r) => !r.resourceNames?.length);
  return wanted.filter((p) => !rules.some((r) => matches(r.verbs, p.verb) && matches(r.apiGroups, p.group) && matches(r.resources, p.resource)));
}
