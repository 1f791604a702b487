// The bot's Kubernetes write rights follow the policy: a RoleBinding of the
// ClusterRole coxswain-write in each namespace where the policy lets someone
// change a Deployment as the bot, and nowhere else (deploy/base binds only the
// read rights cluster-wide). So a policy edited to reach a new namespace does
// nothing there until an admin applies the grant, and the API server refuses a
// write the policy never meant, whatever the bot is tricked into.
import { stringify } from 'yaml';
import { globMatch, type Guards } from './decide.ts';
import { mutatingVerbs, type Policy } from './policy-schema.ts';

/** The ClusterRole deploy/base/rbac.yaml defines (unbound) and every grant binds. */
export const writeRole = 'coxswain-write';

/** The namespaces to grant, and what could not be: globs with no namespaces to resolve them against, protected ones. */
export interface WriteGrantPlan {
  readonly namespaces: readonly string[];
  /** Globs that match nothing known (no namespaces were given, or none matches). */
  readonly unresolved: readonly string[];
  /** Namespaces the policy reaches that are protected: never granted. */
  readonly protected: readonly string[];
  /** Namespaces the policy names that the cluster does not have (only when the cluster's were read): not granted. */
  readonly absent: readonly string[];
}

/**
 * The namespace globs of the changes the bot makes as itself: rules with a changing verb, of roles bound without a
 * `kubernetes` identity.
 */
export function changedNamespaceGlobs(policy: Policy): string[] {
  const roles = new Set(policy.bindings.filter((b) => b.kubernetes === undefined).map((b) => b.role));
  const globs = [...roles].flatMap((role) =>
    (policy.roles[role] ?? [])
      .filter((rule) => rule.verbs.some((v) => v === '*' || (mutatingVerbs as readonly string[]).includes(v)))
      .flatMap((rule) => rule.namespaces),
  );
  return [...new Set(globs)];
}

/**
 * Resolves the policy's changed namespaces: literal names as they are, globs against `known` (the cluster's
 * namespaces, when given); protected namespaces are left out whatever matched them. With `fromCluster`, `known` is
 * the cluster's own list, and a literal name it lacks is left out too: a RoleBinding cannot go in a namespace that
 * does not exist.
 */
export function planWriteGrants(
  policy: Policy,
  guards: Guards,
  known: readonly string[] = [],
  fromCluster = false,
): WriteGrantPlan {
  const granted = new Set<string>();
  const unresolved: string[] = [];
  for (const glob of changedNamespaceGlobs(policy)) {
    const names = glob.includes('*') ? known.filter((ns) => globMatch(glob, ns)) : [glob];
    if (names.length === 0) unresolved.push(glob);
    for (const ns of names) granted.add(ns);
  }
  const all = [...granted].sort();
  const isProtected = (ns: string): boolean => guards.protectedNamespaces.includes(ns);
  const isAbsent = (ns: string): boolean => fromCluster && !known.includes(ns);
  return {
    namespaces: all.filter((ns) => !isProtected(ns) && !isAbsent(ns)),
    unresolved,
    protected: all.filter(isProtected),
    absent: all.filter((ns) => !isProtected(ns) && isAbsent(ns)),
  };
}

/** What is said of namespaces the policy names that the cluster lacks. */
export function absentNote(absent: readonly string[]): string {
  return `Not granted, not in the cluster: ${absent.join(', ')}; generate and apply again once they exist.`;
}

/** A ServiceAccount, as `namespace/name`. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** The RoleBinding that lets the bot change Deployments in `namespace`. */
export function writeGrant(namespace: string, serviceAccount: ServiceAccountRef): Record<string, unknown> {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: {
      name: writeRole,
      namespace,
      labels: { 'app.kubernetes.io/name': 'coxswain', 'app.kubernetes.io/component': 'write-grant' },
    },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: writeRole },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount.name, namespace: serviceAccount.namespace }],
  };
}

/**
 * The grants as a YAML stream for `kubectl apply -f -`, each namespace's RoleBinding after a comment saying why it
 * is there and what was left out.
 */
export function renderWriteGrants(plan: WriteGrantPlan, serviceAccount: ServiceAccountRef, source: string): string {
  const header = [
    `# Write grants of the Coxswain bot (${serviceAccount.namespace}/${serviceAccount.name}), generated from ${source} by \`coxswain rbac\`.`,
    '# One RoleBinding of the ClusterRole coxswain-write (deploy/base/rbac.yaml) per namespace where the policy lets',
    '# people change Deployments as the bot. Generate again and apply whenever the policy reaches new namespaces.',
    ...(plan.protected.length
      ? [`# Not granted, protected whatever the policy says: ${plan.protected.join(', ')}.`]
      : []),
    ...(plan.absent.length ? [`# ${absentNote(plan.absent)}`] : []),
    ...(plan.namespaces.length ? [] : ['# The policy lets nobody change anything as the bot: no grants.']),
  ];
  const docs = plan.namespaces.map((ns) => stringify(writeGrant(ns, serviceAccount), { lineWidth: 0 }));
  return `${header.join('\n')}\n${docs.map((d) => `---\n${d}`).join('')}`;
}
