// Who may do what: a pure function of the policy, the person (with their user
// groups), the channel and the request. Deny by default; the answer names the
// rule that allowed, or says precisely what is missing.
import {
  explicitOnlyVerbs,
  mutatingVerbs,
  type ApprovalRule,
  type Policy,
  type PolicyBinding,
  type PolicyRule,
  type Verb,
} from './policy-schema.ts';
import type { KubeIdentity } from '../kube/kube-api.ts';

/** The person asking, where. */
export interface Person {
  readonly userId: string;
  readonly channelId: string;
  /** IDs of the Slack user groups they belong to (only those the policy names need be known). */
  readonly groups: readonly string[];
  /**
   * Their own workspace, when it is not one the bot is pinned to (a Slack Connect guest): only bindings that name
   * them, or name this workspace under `teams`, apply. Absent for people of the home workspaces.
   */
  readonly externalTeam?: string;
}

/**
 * What they ask to do. `none` is help and whoami. `everything` (the literal `*`, which no Kubernetes name can be)
 * as the namespace or deployment asks for all of them at once: only a rule whose globs cover every name grants it
 * (a hold on a whole namespace, the audit records of no particular namespace).
 */
export interface AccessRequest {
  readonly verb: Verb | 'none';
  readonly namespace?: string;
  readonly deployment?: string;
}

/** Stands for "every namespace" or "every deployment" in an AccessRequest. */
export const everything = '*';

/** What no policy can grant. */
export interface Guards {
  /**
   * Namespaces no change may touch, whatever a rule says: the system namespaces and the bot's own (a wide rule
   * would otherwise let a deployer give the bot's Deployment a new image, and with it the bot's credentials).
   */
  readonly protectedNamespaces: readonly string[];
}

/** No guards: what a bare policy says (check-policy's view, unit tests). */
export const noGuards: Guards = { protectedNamespaces: [] };

/** Allowed (with the deciding rule) or refused (with why). */
export type Decision =
  | { readonly allowed: true; readonly rule: string; readonly kubernetes?: KubeIdentity }
  | { readonly allowed: false; readonly reason: string };

const globCache = new Map<string, RegExp>();

/** `*` matches any run of characters; everything else literally. */
export function globMatch(pattern: string, value: string): boolean {
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
        .join('.*')}$`,
    );
    globCache.set(pattern, re);
  }
  return re.test(value);
}

const anyMatch = (patterns: readonly string[], value: string): boolean => patterns.some((p) => globMatch(p, value));

/**
 * True when the binding's people include this person: by ID, by "*" or user group, or (users and groups absent)
 * everyone.
 */
function coversPerson(binding: PolicyBinding, person: Person): boolean {
  if (binding.users === undefined && binding.groups === undefined) return true;
  return (binding.users?.includes('*') ?? false) || (binding.groups?.some((g) => person.groups.includes(g)) ?? false);
}

/** True when the binding applies to this person in this channel. A guest from another workspace needs to be named. */
export function bindingApplies(binding: PolicyBinding, person: Person): boolean {
  if (binding.channels && !binding.channels.includes(person.channelId)) return false;
  if (binding.users?.includes(person.userId)) return true;
  const guestNamed = person.externalTeam === undefined || (binding.teams?.includes(person.externalTeam) ?? false);
  return guestNamed && coversPerson(binding, person);
}

/** True when the rule names the verb, or says "*" and the verb is not one that must be named. */
function grantsVerb(rule: PolicyRule, verb: Verb): boolean {
  return rule.verbs.includes(verb) || (rule.verbs.includes('*') && !explicitOnlyVerbs.includes(verb));
}

/** True when the rule covers the request. */
export function ruleCovers(rule: PolicyRule, request: AccessRequest): boolean {
  if (request.verb === 'none') return true;
  if (!grantsVerb(rule, request.verb)) return false;
  if (request.namespace !== undefined && !anyMatch(rule.namespaces, request.namespace)) return false;
  return request.deployment === undefined || anyMatch(rule.deployments, request.deployment);
}

function describeRequest(r: AccessRequest): string {
  const deployment = r.deployment === everything ? 'every deployment' : r.deployment;
  const what = deployment ? `${r.verb} ${deployment}` : r.verb;
  if (r.namespace === everything) return `${what} in every namespace`;
  return r.namespace ? `${what} in ${r.namespace}` : what;
}

/** The refusal of a change in a protected namespace, or undefined. Decided before the policy is read. */
function guardRefusal(request: AccessRequest, guards: Guards): Decision | undefined {
  const { verb, namespace } = request;
  if (namespace === undefined || !(mutatingVerbs as readonly string[]).includes(verb)) return undefined;
  if (!guards.protectedNamespaces.includes(namespace)) return undefined;
  return {
    allowed: false,
    reason: `You may not ${describeRequest(request)}: ${namespace} is protected. Coxswain never changes the system namespaces or its own, whatever the policy says.`,
  };
}

/**
 * Whether the policy lets a person of another workspace in at all: a binding names them, or their workspace under
 * `teams`.
 */
export function namesGuest(policy: Policy, userId: string, teamId: string): boolean {
  return policy.bindings.some((b) => b.users?.includes(userId) === true || b.teams?.includes(teamId) === true);
}

/** The bindings that apply to a person, with their index in the file (for naming rules). */
export function applicableBindings(policy: Policy, person: Person): { binding: PolicyBinding; index: number }[] {
  return policy.bindings
    .map((binding, index) => ({ binding, index }))
    .filter(({ binding }) => bindingApplies(binding, person));
}

/** Decides a request: the guards first, then the first rule that covers it, in file order, allows it. */
export function decide(policy: Policy, person: Person, request: AccessRequest, guards: Guards = noGuards): Decision {
  if (request.verb === 'none') return { allowed: true, rule: 'needs no permission' };
  const guarded = guardRefusal(request, guards);
  if (guarded) return guarded;
  const bindings = applicableBindings(policy, person);
  if (bindings.length === 0) {
    const guest = person.externalTeam
      ? ` You are from another workspace (${person.externalTeam}): only bindings that name you, or your workspace under \`teams\`, apply.`
      : '';
    return {
      allowed: false,
      reason: `You may not ${describeRequest(request)}: no role of the policy applies to you in this channel.${guest}`,
    };
  }
  for (const { binding, index } of bindings) {
    const rules = policy.roles[binding.role] ?? [];
    const ruleIndex = rules.findIndex((rule) => ruleCovers(rule, request));
    if (ruleIndex >= 0) {
      return {
        allowed: true,
        rule: `role ${binding.role} (bindings[${index}], rule ${ruleIndex + 1})`,
        ...(binding.kubernetes ? { kubernetes: binding.kubernetes } : {}),
      };
    }
  }
  const roles = [...new Set(bindings.map(({ binding }) => binding.role))].join(', ');
  return {
    allowed: false,
    reason: `You may not ${describeRequest(request)}: your roles here (${roles}) do not cover it.`,
  };
}

/** "deploy, scale in staging, prod (deployments web-*)" — one rule in words. */
export function describeRule(rule: PolicyRule): string {
  const deployments =
    rule.deployments.length === 1 && rule.deployments[0] === '*' ? '' : ` (deployments ${rule.deployments.join(', ')})`;
  const namespaces =
    rule.namespaces.length === 1 && rule.namespaces[0] === '*' ? 'every namespace' : rule.namespaces.join(', ');
  return `${rule.verbs.join(', ')} in ${namespaces}${deployments}`;
}

/** The approval rule that covers a request, if any (first in file order). */
export function approvalRuleFor(policy: Policy, request: AccessRequest): ApprovalRule | undefined {
  if (request.verb === 'none' || request.namespace === undefined) return undefined;
  const { verb, namespace, deployment } = request;
  return policy.approvals.find(
    (a) =>
      (a.verbs as readonly Verb[]).includes(verb) &&
      anyMatch(a.namespaces, namespace) &&
      (deployment === undefined || anyMatch(a.deployments, deployment)),
  );
}

/** Whether /k8s logs output in `namespace` is for the requester only (the policy's logs.requesterOnly). */
export function logsRequesterOnly(policy: Policy, namespace: string): boolean {
  return anyMatch(policy.logs.requesterOnly, namespace);
}
