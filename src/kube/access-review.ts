// What the bot's own Kubernetes identity may do in a namespace, asked of the API
// server itself (SelfSubjectRulesReview), for the start-up self-check: a policy
// that lets people deploy where the bot cannot is found at start, not at the
// first deploy.
import { kubeJson, type KubeConnection } from './kube-connection.ts';
import { toKubeError } from './kube-errors.ts';

/** One API permission: verb on group/resource. */
export interface ApiPermission {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
}

const matches = (list: readonly string[] | undefined, value: string): boolean =>
  (list ?? []).some((v) => v === '*' || v === value);

interface RulesReview {
  readonly status?: {
    readonly resourceRules?: readonly {
      readonly verbs: readonly string[];
      readonly apiGroups?: readonly string[];
      readonly resources?: readonly string[];
      readonly resourceNames?: readonly string[];
    }[];
  };
}

/** The permissions of `wanted` the bot lacks in `namespace` (rules limited to resource names do not count). */
export async function missingPermissions(
  connection: KubeConnection,
  namespace: string,
  wanted: readonly ApiPermission[],
): Promise<ApiPermission[]> {
  const body = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } };
  const review = await kubeJson<RulesReview>(connection, '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
    method: 'POST',
    body,
  }).catch((error: unknown) => {
    throw toKubeError(error, { server: connection.server, what: `the bot's permissions in namespace "${namespace}"` });
  });
  const rules = (review.status?.resourceRules ?? []).filter((r) => !r.resourceNames?.length);
  return wanted.filter(
    (p) =>
      !rules.some((r) => matches(r.verbs, p.verb) && matches(r.apiGroups, p.group) && matches(r.resources, p.resource)),
  );
}
