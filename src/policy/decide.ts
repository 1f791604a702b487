// Who may do what: a pure function of the policy, the person (with their user
// groups), the channel and the request. Deny by default; the answer names the
// rule that allowed, or says precisely what is missing.
import type { ApprovalRule, Policy, PolicyBinding, PolicyRule, Verb } from './policy-schema.ts';
import type { KubeIdentity } from '../kube/kube-api.ts';

/** The person asking, where. */
export interface Subject {
  readonly userId: string;
  readonly channelId: string;
  /** IDs of the Slack user groups they belong to (only those the policy names need be known). */
  readonly groups: readonly string[];
}

/** What they ask to do. `none` is help and whoami. */
export interface AccessRequest {
  readonly verb: Verb | 'none';
  readonly namespace?: string;
  readonly deployment?: string;
}

/** Allowed (with the deciding rule) or refused (with why). */
export type Decision =
  | { readonly allowed: true; readonly rule: string; readonly kubernetes?: KubeIdentity }
  | { readonly allowed: false; readonly reason: string };

const globCache = new Map<string, RegExp>();

/** `*` matches any run of characters; everything else literally. */
export function globMatch(pattern: string, value: string): boolean {
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`);
    globCache.set(pattern, re);
  }
  return re.test(value);
}

const anyMatch = (patterns: readonly string[], value: string): boolean => patterns.some((p) => globMatch(p, value));

/** True when the binding applies to this person in this channel. */
export function bindingApplies(binding: PolicyBinding, subject: Subject): boolean {
  if (binding.channels && !binding.channels.includes(subject.channelId)) return false;
  if (binding.users === undefined && binding.groups === undefined) return true;
  const byUser = binding.users?.some((u) => u === '*' || u === subject.userId) ?? false;
  const byGroup = binding.groups?.some((g) => subject.groups.includes(g)) ?? false;
  return byUser || byGroup;
}

/** True when the rule covers the request. */
export function ruleCovers(rule: PolicyRule, request: AccessRequest): boolean {
  if (request.verb === 'none') return true;
  if (!rule.verbs.includes('*') && !rule.verbs.includes(request.verb)) return false;
  if (request.namespace !== undefined && !anyMatch(rule.namespaces, request.namespace)) return false;
  return request.deployment === undefined || anyMatch(rule.deployments, request.deployment);
}

function describeRequest(r: AccessRequest): string {
  const what = r.deployment ? `${r.verb} ${r.deployment}` : r.verb;
  return r.namespace ? `${what} in ${r.namespace}` : what;
}

/** The bindings that apply to a subject, with their index in the file (for naming rules). */
export function applicableBindings(policy: Policy, subject: Subject): { binding: PolicyBinding; index: number }[] {
  return policy.bindings.map((binding, index) => ({ binding, index })).filter(({ binding }) => bindingApplies(binding, subject));
}

/** Decides a request. The first rule that covers it, in file order, allows it. */
export function decide(policy: Policy, subject: Subject, request: AccessRequest): Decision {
  if (request.verb === 'none') return { allowed: true, rule: 'needs no permission' };
  const bindings = applicableBindings(policy, subject);
  if (bindings.length === 0) {
    return { allowed: false, reason: `You may not ${describeRequest(request)}: no role of the policy applies to you in this channel.` };
  }
  for (const { binding, index } of bindings) {
    const rules = policy.roles[binding.role] ?? [];
    const ruleIndex = rules.findIndex((rule) => ruleCovers(rule, request));
    if (ruleIndex >= 0) {
      return { allowed: true, rule: `role ${binding.role} (bindings[${index}], rule ${ruleIndex + 1})`, ...(binding.kubernetes ? { kubernetes: binding.kubernetes } : {}) };
    }
  }
  const roles = [...new Set(bindings.map(({ binding }) => binding.role))].join(', ');
  return { allowed: false, reason: `You may not ${describeRequest(request)}: your roles here (${roles}) do not cover it.` };
}

/** "deploy, scale in staging, prod (deployments web-*)" — one rule in words. */
export function describeRule(rule: PolicyRule): string {
  const deployments = rule.deployments.length === 1 && rule.deployments[0] === '*' ? '' : ` (deployments ${rule.deployments.join(', ')})`;
  const namespaces = rule.namespaces.length === 1 && rule.namespaces[0] === '*' ? 'every namespace' : rule.namespaces.join(', ');
  return `${rule.verbs.join(', ')} in ${namespaces}${deployments}`;
}

/** The approval rule that covers a request, if any (first in file order). */
export function approvalRuleFor(policy: Policy, request: AccessRequest): ApprovalRule | undefined {
  if (request.verb === 'none' || request.namespace === undefined) return undefined;
  const { verb, namespace, deployment } = request;
  return policy.approvals.find((a) => a.verbs.includes(verb) && anyMatch(a.namespaces, namespace)
    && (deployment === undefined || anyMatch(a.deployments, deployment)));
}
