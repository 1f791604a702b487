// The policy check as the gateway and the worker run it: resolve the person's
// user groups, then decide against the policy in force at that moment.
import type { KubeIdentity } from '../kube/kube-api.ts';
import {
  applicableBindings,
  approvalRuleFor,
  decide,
  describeRule,
  namesGuest,
  noGuards,
  type AccessRequest,
  type Decision,
  type Guards,
  type Person,
} from './decide.ts';
import type { ApprovalRule } from './policy-schema.ts';
import { groupsNamedIn, type GroupMembership } from './group-membership.ts';
import type { PolicyStore } from './policy-store.ts';

/** Who asks, as the policy needs to know them (the gateway's Asker is one). */
export interface Asker {
  readonly userId: string;
  readonly channelId: string;
  /** Their own workspace when they are a guest of another (Slack Connect). */
  readonly externalTeam?: string;
}

/** What a person may do here, for whoami and help. */
export interface AccessSummary {
  /** The roles that apply, each with its rules in words, and the Kubernetes identity its binding acts as. */
  readonly roles: readonly {
    readonly role: string;
    readonly rules: readonly string[];
    readonly kubernetes?: KubeIdentity;
  }[];
  /** Decides any request for this person, in this channel, under the policy of the moment. */
  readonly decide: (request: AccessRequest) => Decision;
  /** Where the policy came from. */
  readonly source: string;
  /** The user groups (named by the policy) the person belongs to. */
  readonly groups: readonly string[];
}

/** The policy check. */
export interface Authorizer {
  /** Where the policy came from, named in refusals. */
  readonly source: string;
  check(actor: Asker, request: AccessRequest): Promise<Decision>;
  /** The policy's approval rule for a request, if it needs someone else's yes. */
  approvalRule(request: AccessRequest): ApprovalRule | undefined;
  summarize(actor: Asker): Promise<AccessSummary>;
  /** Whether the policy lets a person of another workspace in at all (names them, or their workspace under `teams`). */
  admitsGuest(userId: string, teamId: string): boolean;
}

/**
 * Builds the check over a policy store and a group-membership resolver. `guards` are what no policy can grant
 * (protected namespaces); default none.
 */
export function createAuthorizer(
  store: PolicyStore,
  membership: GroupMembership,
  guards: Guards = noGuards,
): Authorizer {
  const personOf = async (actor: Asker): Promise<Person> => {
    const named = groupsNamedIn(store.current());
    // A guest's groups are their own workspace's: the policy's user groups are the home workspace's.
    const groups = named.length === 0 || actor.externalTeam ? [] : await membership.groupsOf(actor.userId, named);
    return {
      userId: actor.userId,
      channelId: actor.channelId,
      groups,
      ...(actor.externalTeam ? { externalTeam: actor.externalTeam } : {}),
    };
  };
  return {
    get source() {
      return store.source;
    },
    check: async (actor, request) => {
      if (request.verb === 'none')
        return decide(store.current(), { userId: actor.userId, channelId: actor.channelId, groups: [] }, request);
      return decide(store.current(), await personOf(actor), request, guards);
    },
    approvalRule: (request) => approvalRuleFor(store.current(), request),
    admitsGuest: (userId, teamId) => namesGuest(store.current(), userId, teamId),
    summarize: async (actor) => {
      const policy = store.current();
      const person = await personOf(actor);
      const roles = applicableBindings(policy, person).map(({ binding }) => ({
        role: binding.role,
        rules: (policy.roles[binding.role] ?? []).map(describeRule),
        ...(binding.kubernetes ? { kubernetes: binding.kubernetes } : {}),
      }));
      return {
        roles,
        decide: (request) => decide(policy, person, request, guards),
        source: store.source,
        groups: person.groups,
      };
    },
  };
}
