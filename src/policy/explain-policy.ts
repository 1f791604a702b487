// `coxswain check-policy FILE`: the policy in words — who may do what where,
// what needs approval, where alerts go — and what looks like a mistake.
import { describeRule } from './decide.ts';
import type { Policy, PolicyBinding } from './policy-schema.ts';

function who(b: PolicyBinding): string {
  const users = (b.users ?? []).map((u) => (u === '*' ? 'everyone' : u));
  const groups = (b.groups ?? []).map((g) => `group ${g}`);
  const all = [...users, ...groups];
  return all.length > 0 ? all.join(', ') : 'everyone';
}

const where = (b: PolicyBinding): string => (b.channels ? `in ${b.channels.join(', ')}` : 'in every channel');

function bindingLines(policy: Policy): string[] {
  return policy.bindings.flatMap((b, i) => {
    const rules = (policy.roles[b.role] ?? []).map((r) => `      may ${describeRule(r)}`);
    const kube = b.kubernetes ? [`      acts in Kubernetes as ${b.kubernetes.user}${b.kubernetes.groups.length ? ` (groups ${b.kubernetes.groups.join(', ')})` : ''}`] : [];
    return [`  bindings[${i}] ${who(b)} ${where(b)}: role ${b.role}`, ...(rules.length ? rules : ['      (the role has no rules)']), ...kube];
  });
}

function approvalLines(policy: Policy): string[] {
  return policy.approvals.map((a) => {
    const from = [...(a.approvers.roles ?? []).map((r) => `role ${r}`), ...(a.approvers.users ?? []), ...(a.approvers.groups ?? []).map((g) => `group ${g}`)];
    const deployments = a.deployments.join(', ') === '*' ? '' : ` (deployments ${a.deployments.join(', ')})`;
    return `  ${a.verbs.join(', ')} in ${a.namespaces.join(', ')}${deployments}: ${a.required} approval(s) from ${from.join(', ') || 'nobody (!)'}, expires after ${a.expiresAfter}, self-approval ${a.allowSelfApproval ? 'allowed' : 'not allowed'}`;
  });
}

function warnings(policy: Policy): string[] {
  const bound = new Set(policy.bindings.map((b) => b.role));
  const out = Object.keys(policy.roles).filter((r) => !bound.has(r)).map((r) => `role ${r} is bound to nobody`);
  policy.bindings.forEach((b, i) => {
    const mutates = (policy.roles[b.role] ?? []).some((r) => r.verbs.some((v) => ['*', 'deploy', 'scale', 'restart', 'undo'].includes(v)));
    if (mutates && b.users?.includes('*') && !b.channels) out.push(`bindings[${i}] lets everyone in every channel change deployments (role ${b.role})`);
  });
  if (policy.bindings.length === 0) out.push('no bindings: nobody may do anything but help, whoami and can-i');
  return out;
}

/** The policy explained, as lines of text. */
export function explainPolicy(policy: Policy, file: string): string {
  const routes = policy.alerts.routes.map((r) => `${r.namespaces.join(', ')} → ${r.channel}`);
  const warned = warnings(policy);
  return [
    `${file}: valid — ${Object.keys(policy.roles).length} roles, ${policy.bindings.length} bindings, ${policy.approvals.length} approval rules, ${policy.alerts.routes.length} alert routes`,
    '', 'Who may do what (deny by default; the first binding whose role covers a request decides):', ...bindingLines(policy),
    '', 'Needs approval:', ...(policy.approvals.length ? approvalLines(policy) : ['  nothing']),
    '', `Alerts: ${routes.length ? routes.join('; ') : 'no routes'} (cooldown ${policy.alerts.cooldown})`,
    ...(policy.defaultNamespace ? ['', `Default namespace: ${policy.defaultNamespace}`] : []),
    ...(warned.length ? ['', 'Warnings:', ...warned.map((w) => `  - ${w}`)] : []),
  ].join('\n');
}
