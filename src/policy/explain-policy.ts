// `coxswain check-policy FILE`: the policy in words — who may do what where,
// what needs approval, where alerts go — and what looks like a mistake.
import { describeRule, globMatch, noGuards, type Guards } from './decide.ts';
import { explicitOnlyVerbs, mutatingVerbs, type Policy, type PolicyBinding, type PolicyRule } from './policy-schema.ts';

function who(b: PolicyBinding): string {
  const users = (b.users ?? []).map((u) => (u === '*' ? 'everyone' : u));
  const groups = (b.groups ?? []).map((g) => `group ${g}`);
  const all = [...users, ...groups];
  const guests = b.teams ? ` (also people of workspaces ${b.teams.join(', ')})` : '';
  return `${all.length > 0 ? all.join(', ') : 'everyone'}${guests}`;
}

const where = (b: PolicyBinding): string => (b.channels ? `in ${b.channels.join(', ')}` : 'in every channel');

function bindingLines(policy: Policy): string[] {
  return policy.bindings.flatMap((b, i) => {
    const rules = (policy.roles[b.role] ?? []).map((r) => `      may ${describeRule(r)}`);
    const kube = b.kubernetes
      ? [
          `      acts in Kubernetes as ${b.kubernetes.user}${b.kubernetes.groups.length ? ` (groups ${b.kubernetes.groups.join(', ')})` : ''}`,
        ]
      : [];
    return [
      `  bindings[${i}] ${who(b)} ${where(b)}: role ${b.role}`,
      ...(rules.length ? rules : ['      (the role has no rules)']),
      ...kube,
    ];
  });
}

function approvalLines(policy: Policy): string[] {
  return policy.approvals.map((a) => {
    const from = [
      ...(a.approvers.roles ?? []).map((r) => `role ${r}`),
      ...(a.approvers.users ?? []),
      ...(a.approvers.groups ?? []).map((g) => `group ${g}`),
    ];
    const deployments = a.deployments.join(', ') === '*' ? '' : ` (deployments ${a.deployments.join(', ')})`;
    return `  ${a.verbs.join(', ')} in ${a.namespaces.join(', ')}${deployments}: ${a.required} approval(s) from ${from.join(', ') || 'nobody (!)'}, expires after ${a.expiresAfter}, self-approval ${a.allowSelfApproval ? 'allowed' : 'not allowed'}`;
  });
}

const changes = (rule: PolicyRule): boolean =>
  rule.verbs.some((v) => v === '*' || (mutatingVerbs as readonly string[]).includes(v));

/**
 * Rules that would change a protected namespace if the guard were not there: worth fixing, since they say more than is
 * meant.
 */
function protectedWarnings(policy: Policy, guards: Guards): string[] {
  return Object.entries(policy.roles).flatMap(([role, rules]) =>
    rules.flatMap((rule, i) => {
      const reached = guards.protectedNamespaces.filter(
        (ns) => changes(rule) && rule.namespaces.some((g) => globMatch(g, ns)),
      );
      return reached.length === 0
        ? []
        : [
            `role ${role} rule ${i + 1} (${describeRule(rule)}) would let changes reach ${reached.join(', ')}: protected, so Coxswain refuses them whatever the policy says; narrow its namespaces`,
          ];
    }),
  );
}

/** `"*"` stopped meaning the verbs that must be named; a role relying on it is told so. */
function starWarnings(policy: Policy): string[] {
  return Object.entries(policy.roles).flatMap(([role, rules]) =>
    rules.flatMap((rule, i) => {
      const missing = explicitOnlyVerbs.filter((v) => rule.verbs.includes('*') && !rule.verbs.includes(v));
      return missing.length === 0
        ? []
        : [
            `role ${role} rule ${i + 1} says "*", which does not include ${missing.join(' or ')}: name them if the role should have them`,
          ];
    }),
  );
}

/** Who a binding is for, as keys: `u:ID`, `g:ID`, or `*` for everyone (users "*", or neither users nor groups). */
function holders(b: PolicyBinding): string[] {
  if ((b.users === undefined && b.groups === undefined) || b.users?.includes('*')) return ['*'];
  return [...(b.users ?? []).map((u) => `u:${u}`), ...(b.groups ?? []).map((g) => `g:${g}`)];
}

/** The roles of every binding that is for one of `keys`, or for everyone. */
function rolesOf(policy: Policy, keys: readonly string[]): string[] {
  return policy.bindings.filter((b) => holders(b).some((k) => k === '*' || keys.includes(k))).map((b) => b.role);
}

const approvesIn = (policy: Policy, roles: readonly string[], namespace: string): boolean =>
  roles.some((role) =>
    (policy.roles[role] ?? []).some(
      (r) =>
        (r.verbs.includes('approve') || r.verbs.includes('*')) && r.namespaces.some((g) => globMatch(g, namespace)),
    ),
  );

/**
 * Approvers whom no binding lets approve where the rule holds requests: a vote needs both, so theirs would be refused
 * and the request would wait until it expires. A user could still approve through a user group's binding, which
 * cannot be known offline: users are warned of only when no group binding approves there.
 */
function approverWarnings(policy: Policy): string[] {
  const groupRoles = policy.bindings.filter((b) => b.groups !== undefined).map((b) => b.role);
  return policy.approvals.flatMap((a, i) => {
    const roleHolders = (role: string): string[] => policy.bindings.filter((b) => b.role === role).flatMap(holders);
    const named: [string, string[]][] = [
      ...(a.approvers.roles ?? []).map((role): [string, string[]] => [
        `role ${role}`,
        rolesOf(policy, roleHolders(role)),
      ]),
      ...(a.approvers.users ?? []).map((u): [string, string[]] => [u, [...rolesOf(policy, [`u:${u}`]), ...groupRoles]]),
      ...(a.approvers.groups ?? []).map((g): [string, string[]] => [`group ${g}`, rolesOf(policy, [`g:${g}`])]),
    ];
    return named.flatMap(([who, roles]) => {
      const missing = a.namespaces.filter((ns) => !approvesIn(policy, roles, ns));
      return missing.length === 0
        ? []
        : [
            `approvals[${i}] names ${who} as approver, but no role bound to them may approve in ${missing.join(', ')}: their votes there would be refused`,
          ];
    });
  });
}

function warnings(policy: Policy, guards: Guards): string[] {
  const bound = new Set(policy.bindings.map((b) => b.role));
  const out = Object.keys(policy.roles)
    .filter((r) => !bound.has(r))
    .map((r) => `role ${r} is bound to nobody`);
  policy.bindings.forEach((b, i) => {
    const mutates = (policy.roles[b.role] ?? []).some(changes);
    if (mutates && b.users?.includes('*') && !b.channels)
      out.push(`bindings[${i}] lets everyone in every channel change deployments (role ${b.role})`);
  });
  if (policy.bindings.length === 0) out.push('no bindings: nobody may do anything but help, whoami and can-i');
  return [...out, ...protectedWarnings(policy, guards), ...starWarnings(policy), ...approverWarnings(policy)];
}

/** The policy explained, as lines of text; `guards` are the protected namespaces the running bot would enforce. */
export function explainPolicy(policy: Policy, file: string, guards: Guards = noGuards): string {
  const routes = policy.alerts.routes.map((r) => `${r.namespaces.join(', ')} → ${r.channel}`);
  const warned = warnings(policy, guards);
  return [
    `${file}: valid — ${Object.keys(policy.roles).length} roles, ${policy.bindings.length} bindings, ${policy.approvals.length} approval rules, ${policy.alerts.routes.length} alert routes`,
    '',
    'Who may do what (deny by default; the first binding whose role covers a request decides):',
    ...bindingLines(policy),
    '',
    'Needs approval:',
    ...(policy.approvals.length ? approvalLines(policy) : ['  nothing']),
    '',
    `Alerts: ${routes.length ? routes.join('; ') : 'no routes'} (cooldown ${policy.alerts.cooldown})`,
    ...(policy.defaultNamespace ? ['', `Default namespace: ${policy.defaultNamespace}`] : []),
    ...(policy.logs.requesterOnly.length
      ? ['', `/k8s logs output only to the requester in: ${policy.logs.requesterOnly.join(', ')}`]
      : []),
    ...(guards.protectedNamespaces.length
      ? ['', `Protected (never changed, whatever the policy says): ${guards.protectedNamespaces.join(', ')}`]
      : []),
    ...(warned.length ? ['', 'Warnings:', ...warned.map((w) => `  - ${w}`)] : []),
  ].join('\n');
}
