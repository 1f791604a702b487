// The policy file (COXSWAIN_POLICY): who may do what, where, and what needs
// approval. Deny by default: a Slack user bound to nothing may run help and whoami.
import { z } from 'zod';

/** Every policy verb; commands name one of these (or none). */
export const policyVerbs = [
  'get',
  'logs',
  'status',
  'history',
  'deploy',
  'scale',
  'restart',
  'undo',
  'approve',
  'audit',
  'lock',
  'break',
] as const;
/** A policy verb. */
export type Verb = (typeof policyVerbs)[number];

/**
 * The verbs that change a workload: the only ones an approval can hold, and the ones never allowed in a protected
 * namespace.
 */
export const mutatingVerbs = ['deploy', 'scale', 'restart', 'undo'] as const satisfies readonly Verb[];

/**
 * Verbs a rule grants only when it names them: `"*"` does not imply reading everyone's audit trail
 * or breaking someone else's hold, which a role written for "do everything to our deployments" never meant to give.
 */
export const explicitOnlyVerbs: readonly Verb[] = ['audit', 'break'];

/** A glob over names: `*` matches any run of characters, e.g. `team-*`. */
const glob = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9*.-]+$/, 'is lowercase letters, digits, ., - and * (a glob)');
const userId = z
  .string()
  .regex(/^([UW][A-Z0-9]{2,}|\*)$/, 'is a Slack user ID (U…/W…) or "*"; display names change, IDs do not');
const groupId = z.string().regex(/^S[A-Z0-9]{2,}$/, 'is a Slack user-group ID (S…)');
const teamId = z.string().regex(/^[TE][A-Z0-9]{2,}$/, 'is a Slack workspace ID (T…) or organization ID (E…)');
const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'is a Slack channel ID (C…/G…/D…)');
const durationText = z.string().regex(/^\d+(s|m|h|d)$/, 'is a duration such as 30m, 2h or 1d');

const verbList = `is one of ${policyVerbs.join(', ')}`;

const ruleSchema = z.strictObject({
  verbs: z.array(z.enum([...policyVerbs, '*'], { error: `${verbList}, or "*"` })).min(1),
  /** Namespace globs; default every namespace. */
  namespaces: z.array(glob).min(1).default(['*']),
  /** Deployment-name globs; default every deployment. */
  deployments: z.array(glob).min(1).default(['*']),
});

/** A Kubernetes user or group name; it travels in an HTTP header, so printable ASCII only. */
const kubeName = z
  .string()
  .max(256)
  .regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/, {
    error:
      'a Kubernetes user or group name is printable ASCII without leading or trailing spaces (it is sent in an Impersonate-* HTTP header)',
  });

const bindingSchema = z
  .strictObject({
    role: z.string().min(1),
    /** Who: user IDs ("*" for everyone) and/or user-group IDs. Neither means everyone in `channels`. */
    users: z.array(userId).optional(),
    groups: z.array(groupId).optional(),
    /** Where: only in these channels. Absent means every channel. */
    channels: z.array(channelId).optional(),
    /**
     * Other workspaces (Slack Connect) whose people this binding also covers. Absent: only people of the
     * workspaces the bot is pinned to (SLACK_TEAM_ID); a user ID named in `users` is covered wherever they come from.
     */
    teams: z.array(teamId).optional(),
    /** Kubernetes identity to impersonate for this binding's actions. */
    kubernetes: z.strictObject({ user: kubeName, groups: z.array(kubeName).default([]) }).optional(),
  })
  .refine((b) => b.users !== undefined || b.groups !== undefined || b.channels !== undefined, {
    message: 'a binding names users, groups or channels (use users: ["*"] for everyone)',
  });

/** Who may approve; at least one role, user or group, or no request it covers could ever be approved. */
const approversSchema = z
  .strictObject({
    roles: z.array(z.string()).optional(),
    users: z.array(userId).optional(),
    groups: z.array(groupId).optional(),
  })
  .refine((a) => (a.roles?.length ?? 0) + (a.users?.length ?? 0) + (a.groups?.length ?? 0) > 0, {
    message:
      'names no approvers: give roles, users or groups (otherwise every request it covers waits until it expires)',
  });

/**
 * Named users only (no roles, groups or "*"): how many distinct people could ever approve; else undefined (no bound).
 */
function namedApprovers(a: z.infer<typeof approversSchema>): number | undefined {
  if ((a.roles?.length ?? 0) > 0 || (a.groups?.length ?? 0) > 0 || !a.users?.length || a.users.includes('*'))
    return undefined;
  return new Set(a.users).size;
}

/** Only changes wait for approval; anything else is answered at once, so a rule on it would never be enforced. */
const approvableVerb = z.enum(mutatingVerbs, {
  error: (issue) =>
    (policyVerbs as readonly unknown[]).includes(issue.input)
      ? `${String(issue.input)} never waits for approval (it is answered at once), so a rule on it would never be enforced; approvals hold ${mutatingVerbs.join(', ')}`
      : `is one of ${mutatingVerbs.join(', ')} (the verbs an approval can hold)`,
});

const approvalSchema = z
  .strictObject({
    namespaces: z.array(glob).min(1),
    verbs: z.array(approvableVerb).min(1),
    deployments: z.array(glob).min(1).default(['*']),
    approvers: approversSchema,
    required: z.number().int().min(1).max(10).default(1),
    expiresAfter: durationText.default('30m'),
    allowSelfApproval: z.boolean().default(false),
  })
  .superRefine((a, ctx) => {
    const named = namedApprovers(a.approvers);
    if (named !== undefined && a.required > named) {
      ctx.addIssue({
        code: 'custom',
        path: ['required'],
        message: `is ${a.required}, but approvers names only ${named} user(s): a request could never get that many approvals`,
      });
    }
  });

const alertsSchema = z.strictObject({
  /** First match by namespace glob wins; unrouted namespaces are not alerted. */
  routes: z.array(z.strictObject({ namespaces: z.array(glob).min(1), channel: channelId })).default([]),
  /** Within this, more failures edit the alert; after it, a new message links the old one. */
  cooldown: durationText.default('10m'),
  /** No pod failing for this long and the alert turns to recovered. */
  recoverAfter: durationText.default('2m'),
  /** A pod that cannot be scheduled for this long is a failure. */
  unschedulableAfter: durationText.default('1m'),
});

const logsSchema = z.strictObject({
  /**
   * Namespaces whose /k8s logs output only the person who asked sees (ephemeral, in the job's thread); default none.
   */
  requesterOnly: z.array(glob).default([]),
});

/** The whole file. */
export const policySchema = z
  .strictObject({
    roles: z
      .record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'role names are lowercase words'), z.array(ruleSchema))
      .default({}),
    bindings: z.array(bindingSchema).default([]),
    approvals: z.array(approvalSchema).default([]),
    alerts: alertsSchema.default({ routes: [], cooldown: '10m', recoverAfter: '2m', unschedulableAfter: '1m' }),
    /** Who sees /k8s logs output: the channel (default), or only the requester in the namespaces listed. */
    logs: logsSchema.default({ requesterOnly: [] }),
    /** Namespace used when a command gives no -n. */
    defaultNamespace: z
      .string()
      .max(63)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'is a namespace name: lowercase letters, digits and -')
      .optional(),
  })
  .superRefine((p, ctx) => {
    p.bindings.forEach((b, i) => {
      if (!(b.role in p.roles))
        ctx.addIssue({
          code: 'custom',
          path: ['bindings', i, 'role'],
          message: `names role "${b.role}", which is not defined under roles`,
        });
    });
    p.approvals.forEach((a, i) => {
      for (const [j, r] of (a.approvers.roles ?? []).entries()) {
        if (!(r in p.roles))
          ctx.addIssue({
            code: 'custom',
            path: ['approvals', i, 'approvers', 'roles', j],
            message: `names role "${r}", which is not defined under roles`,
          });
      }
    });
  });

/** Every key the file may use, at any level: an unknown key is compared with these to suggest the one meant. */
export const policyKeys = [
  'roles',
  'bindings',
  'approvals',
  'alerts',
  'defaultNamespace',
  'verbs',
  'namespaces',
  'deployments',
  'role',
  'users',
  'groups',
  'channels',
  'teams',
  'kubernetes',
  'user',
  'approvers',
  'required',
  'expiresAfter',
  'allowSelfApproval',
  'routes',
  'channel',
  'cooldown',
  'recoverAfter',
  'unschedulableAfter',
  'logs',
  'requesterOnly',
] as const;

/** A validated policy. */
export type Policy = z.infer<typeof policySchema>;
/** One rule of a role. */
export type PolicyRule = Policy['roles'][string][number];
/** One binding. */
export type PolicyBinding = Policy['bindings'][number];
/** One approval requirement. */
export type ApprovalRule = Policy['approvals'][number];
