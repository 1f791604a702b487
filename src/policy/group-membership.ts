// Slack user-group membership for policy bindings, from usergroups.users.list,
// cached per group so a request costs no Slack call most of the time.

/** Lists the user IDs of a Slack user group. */
export type ListGroupMembers = (groupId: string) => Promise<readonly string[]>;

/** Options of createGroupMembership. */
export interface GroupMembershipOptions {
  readonly list: ListGroupMembers;
  /** How long a group's members are trusted. Default 5 min. */
  readonly ttlMs?: number;
  /** Groups remembered at most (bounded memory). Default 500. */
  readonly maxGroups?: number;
  readonly now?: () => number;
}

/** Answers "which of these groups is this user in?". */
export interface GroupMembership {
  groupsOf(userId: string, candidates: readonly string[]): Promise<string[]>;
}

/**
 * A membership resolver with a TTL cache. A group whose lookup fails counts as
 * not containing the user (deny by default), and the failure is not cached.
 */
export function createGroupMembership(options: GroupMembershipOptions): GroupMembership {
  const ttl = options.ttlMs ?? 5 * 60_000;
  const max = options.maxGroups ?? 500;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { members: ReadonlySet<string>; until: number }>();
  const members = async (group: string): Promise<ReadonlySet<string>> => {
    const hit = cache.get(group);
    if (hit && hit.until > now()) return hit.members;
    const list = await options.list(group).catch(() => undefined);
    if (!list) return new Set();
    cache.delete(group);
    if (cache.size >= max) cache.delete(cache.keys().next().value ?? '');
    const entry = { members: new Set(list), until: now() + ttl };
    cache.set(group, entry);
    return entry.members;
  };
  return {
    groupsOf: async (userId, candidates) => {
      const found = await Promise.all(
        [...new Set(candidates)].map(async (g) => ((await members(g)).has(userId) ? g : undefined)),
      );
      return found.filter((g): g is string => g !== undefined);
    },
  };
}

/** Every user-group ID a policy names (bindings and approvers). */
export function groupsNamedIn(policy: {
  bindings: readonly { groups?: readonly string[] }[];
  approvals: readonly { approvers: { groups?: readonly string[] } }[];
}): string[] {
  return [
    ...new Set([
      ...policy.bindings.flatMap((b) => b.groups ?? []),
      ...policy.approvals.flatMap((a) => a.approvers.groups ?? []),
    ]),
  ];
}
