// What every file under commands/ defines: its grammar, its argument schema, the
// policy verb it needs, and how it runs. src/ works from these specs and never
// imports a particular command.
import type { z } from 'zod';
import type { AuditReader, AuditRecorder } from '../audit/audit-log.ts';
import type { KubeApi } from '../kube/kube-api.ts';
import type { Hold, HoldStore } from '../holds/hold-store.ts';
import type { AccessSummary } from '../policy/authorizer.ts';
import type { Verb } from '../policy/policy-schema.ts';
import type { CommandResult } from '../results.ts';

/** Policy verbs (DESIGN.md). `help` and `whoami` need none. */
export type PolicyVerb = Verb | 'none';

/** Who asked, in Slack's stable IDs. */
export interface Actor {
  readonly userId: string;
  readonly userName: string;
  readonly teamId: string;
  readonly channelId: string;
  /**
   * Their own workspace when it is not one the bot is pinned to (a Slack Connect guest, let in because the policy
   * names them or their workspace); absent for people of the home workspaces. Set by the gateway's workspace check.
   */
  readonly externalTeam?: string;
}

/** A flag of a command's grammar; its key in `flags` is the long name and the argument name. */
export interface FlagSpec {
  /** One-letter alias, e.g. 'n' for --namespace. */
  readonly short?: string;
  /** 'value' flags take the next word (or =value); 'boolean' flags take none. */
  readonly kind: 'value' | 'boolean';
  readonly description: string;
}

/** What a command touches, for locks, policy and audit. */
export interface CommandTarget {
  readonly namespace: string;
  readonly deployment?: string;
  /** Every deployment of the namespace at once (a hold on `ns/prod`): only a rule covering them all allows it. */
  readonly wholeNamespace?: boolean;
}

/**
 * The one Deployment a target names, as `ns/name`: the key of its job lock and line; none for a namespace or a read.
 */
export function targetKey(target: CommandTarget | undefined): string | undefined {
  return target?.deployment ? `${target.namespace}/${target.deployment}` : undefined;
}

/** Bounds from configuration that commands' schemas enforce; a registry builds each schema once with them. */
export interface SchemaBounds {
  /** Highest replica count `scale` accepts (COXSWAIN_MAX_REPLICAS). */
  readonly maxReplicas: number;
}

/** The holds as gateway commands use them. */
export interface GatewayHolds extends Pick<HoldStore, 'take' | 'release'> {
  /** Ends whoever's hold it is (the caller has checked `break`); the holder is told why in the hold's thread. */
  break(target: string, by: { readonly userId: string; readonly reason: string }): Promise<Hold | undefined>;
}

/** What a gateway command (answered at once, no cluster) gets. */
export interface GatewayContext {
  readonly actor: Actor;
  readonly cluster: string;
  /** Every registered command, for help. */
  readonly commands: readonly AnyCommandSpec[];
  /** What the policy lets this person do here. */
  readonly access: AccessSummary;
  /**
   * The audit trail: /k8s audit reads it (the gateway has already checked the command's verb); lock and unlock record
   * what they did.
   */
  readonly audit: AuditReader & AuditRecorder;
  /**
   * Holds on deployments and namespaces (`/k8s lock|unlock`); taking, giving up and breaking one is also said in the
   * channel.
   */
  readonly holds: GatewayHolds;
  /** Votes on approval requests as this person (`/k8s approve|reject`); returns what to tell them. */
  readonly approvals: {
    vote(vote: { requestId: string; decision: 'approve' | 'reject'; reason?: string }): Promise<string>;
  };
}

/** What a worker command gets. */
export interface WorkerContext {
  readonly actor: Actor;
  readonly cluster: string;
  readonly kube: KubeApi;
  /** How long a job follows a rollout before it reports a timeout (COXSWAIN_ROLLOUT_TIMEOUT). */
  readonly rolloutTimeoutMs: number;
  /** Short live status for the thread root, e.g. "2/3 updated · 1/3 available"; throttled by the caller. */
  readonly progress: (detail: string) => void;
  readonly signal: AbortSignal;
  /**
   * This run took the job over from a worker that was lost in the middle of it (BullMQ's stalled-job
   * recovery): the cluster may already show this job's change. Default false.
   */
  readonly resumed?: boolean;
  /** When the person asked (ISO 8601): the same in every run of the job, so a change stamped with it is made once. */
  readonly requestedAt?: string;
  /** The job's id: the same in every run of the job, so a change marked with it is made once. */
  readonly requestId?: string;
}

interface CommandBase<A> {
  /** One or two words: 'deploy', 'rollout status'. */
  readonly name: string;
  readonly summary: string;
  /** Grammar line, e.g. 'deploy <deployment> <image> [-n namespace] [-c container]'. */
  readonly usage: string;
  readonly examples: readonly string[];
  /** Names of positional arguments, in order. */
  readonly positionals: readonly string[];
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Validates the parsed words; also re-run by the worker (the queue is a trust boundary). Built once per registry. */
  readonly schema: (bounds: SchemaBounds) => z.ZodType<A>;
  readonly verb: PolicyVerb;
  /**
   * When the verb depends on the words (`unlock --break` needs `break`): the other verbs they may need (help lists
   * the command to whoever has any of them), and the one these words need. Default: always `verb`.
   */
  readonly verbOf?: { readonly others: readonly PolicyVerb[]; readonly pick: (args: A) => PolicyVerb };
  /** What the command acts on, for locks, policy and audit; absent for commands about no target (help, audit). */
  readonly target?: (args: A) => CommandTarget;
  /** "deploy checkout to ghcr.io/acme/checkout:1.4.2 in staging" — the thread root's wording. */
  readonly describe: (args: A) => string;
}

/** A command answered by the gateway itself (help, whoami, audit). */
export interface GatewayCommandSpec<A> extends CommandBase<A> {
  readonly runsIn: 'gateway';
  /** May read Redis (audit) but never the cluster: the answer is the ack, within Slack's 3 s. */
  readonly run: (args: A, ctx: GatewayContext) => CommandResult | Promise<CommandResult>;
}

/** A command carried out by a worker, through the queue. */
export interface WorkerCommandSpec<A> extends CommandBase<A> {
  readonly runsIn: 'worker';
  /** Changes the target: takes the per-deployment lock. */
  readonly mutates: boolean;
  readonly target: (args: A) => CommandTarget;
  readonly run: (args: A, ctx: WorkerContext) => Promise<CommandResult>;
}

/** Any command spec. */
export type CommandSpec<A> = GatewayCommandSpec<A> | WorkerCommandSpec<A>;

/** A spec whose argument type has been forgotten, as the registry holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommandSpec = CommandSpec<any>;

/** Every verb a command may need, whatever its words. */
export function verbsOf(command: AnyCommandSpec): readonly PolicyVerb[] {
  return [command.verb, ...(command.verbOf?.others ?? [])];
}

/** Identity function that lets TypeScript infer a command's argument type from its schema. */
export function defineCommand<A>(spec: CommandSpec<A>): CommandSpec<A> {
  return spec;
}
