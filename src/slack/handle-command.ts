// The gateway's answer to /k8s: parse, answer at once (help, whoami, refusals)
// or post the thread root and queue the job. Never touches the cluster, so it
// answers well inside Slack's 3 seconds.
import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { AuditReader, AuditRecorder } from '../audit/audit-log.ts';
import type { AuditEntry } from '../audit/audit-record.ts';
import { AppError, asAppError, slackErrorCode } from '../errors.ts';
import type { Approvals } from '../approvals/create-approvals.ts';
import type { Vote } from '../approvals/handle-vote.ts';
import { describeHold, type HoldStore } from '../holds/hold-store.ts';
import { withFields, type Log } from '../log/create-logger.ts';
import type { ApprovalRule } from '../policy/policy-schema.ts';
import type { Authorizer } from '../policy/authorizer.ts';
import type { Decision } from '../policy/decide.ts';
import { accessOf, ParseError, parseCommand, type CommandRequest } from '../parse/parse-command.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import type { JobPayload } from '../queue/job-payload.ts';
import { claimRequest, jobIdFor, releaseRequest, type ClaimOptions } from '../queue/request-claims.ts';
import type { CommandRegistry } from '../registry/command-registry.ts';
import type { Actor, GatewayHolds } from '../registry/command-spec.ts';
import type { AuditKind } from '../audit/audit-record.ts';
import type { AlertStore } from '../alerts/alert-store.ts';
import { describeWait, type RequestLimits } from '../queue/request-limits.ts';
import type { WorkspaceGate } from './workspace-gate.ts';
import { renderError } from '../views/render-error.ts';
import { renderJobStatus } from '../views/render-job-status.ts';
import { renderResult } from '../views/render-result.ts';
import type { SlackMessage } from '../views/slack-message.ts';

/** The fields of Slack's slash-command payload that the gateway reads. */
export interface SlashCommand {
  readonly text: string;
  readonly user_id: string;
  readonly user_name: string;
  readonly team_id: string;
  readonly channel_id: string;
  readonly trigger_id: string;
  /** Enterprise Grid organization, when there is one. */
  readonly enterprise_id?: string;
  /** The person's own workspace, when Slack says it apart from team_id (a button click's `user.team_id`). */
  readonly user_team_id?: string;
}

/** What the gateway acks with: nothing, or an ephemeral message. */
export type CommandAck = (SlackMessage & { readonly response_type: 'ephemeral' }) | undefined;

/** Everything the gateway needs, injected. */
export interface GatewayDeps {
  readonly registry: CommandRegistry;
  readonly cluster: string;
  readonly client: WebClient;
  readonly redis: Redis;
  readonly queue: JobQueue;
  readonly keyPrefix: string;
  readonly log: Log;
  readonly authorizer: Authorizer;
  /** The default namespace when a command gives no -n (the policy's, else the configuration's). */
  readonly defaultNamespace: () => string;
  /** Every request is recorded here, allowed or not; /k8s audit reads it. */
  readonly audit: AuditRecorder & AuditReader;
  /** Requests the policy says need approval are held here instead of queued; votes from /k8s approve|reject. */
  readonly approvals: Pick<Approvals, 'open' | 'vote'>;
  /** Holds from /k8s lock: others' changes to a held target are refused; lock and unlock change them. */
  readonly holds: Pick<HoldStore, 'blocking'> & GatewayHolds;
  /** Which workspaces' people may ask at all. */
  readonly workspaces: WorkspaceGate;
  /** Rates per person and channel, and the bound on a person's queued jobs. */
  readonly limits: RequestLimits;
  /** The alert records, for checking a click on an alert's button against the alert it was drawn for. */
  readonly alerts: Pick<AlertStore, 'getById'>;
}

/** A refusal by the policy, kept apart from other errors so the audit record names the reason and the policy. */
class PolicyDenial extends AppError {
  readonly reason: string;
  constructor(reason: string, source: string) {
    super('forbidden', `${reason} (policy: ${source})`);
    this.reason = reason;
  }
}

/**
 * A refusal before the request is read: another workspace, or too many requests. `recorded` false: counted, not
 * recorded one by one.
 */
class GateRefusal extends AppError {
  readonly kind: AuditKind;
  readonly recorded: boolean;
  readonly detail: Readonly<Record<string, string | number | boolean>>;
  constructor(o: {
    kind: AuditKind;
    code: 'forbidden' | 'limited';
    message: string;
    recorded: boolean;
    detail: Readonly<Record<string, string | number | boolean>>;
  }) {
    super(o.code, o.message);
    this.kind = o.kind;
    this.recorded = o.recorded;
    this.detail = o.detail;
  }
}

/** The fields every record of this request shares: who, where, what was typed and what it targets. */
function requestFields(command: SlashCommand, request?: CommandRequest): Omit<AuditEntry, 'kind'> {
  const target = request?.target;
  return {
    user: command.user_id,
    channel: command.channel_id,
    text: command.text,
    ...(request ? { command: request.command.name, verb: request.verb } : {}),
    ...(target ? { namespace: target.namespace, ...(target.deployment ? { deployment: target.deployment } : {}) } : {}),
  };
}

function refusalFields(
  error: unknown,
  deps: GatewayDeps,
): Pick<AuditEntry, 'kind' | 'decision' | 'reason' | 'rule' | 'detail'> {
  if (error instanceof ParseError) return { kind: 'request.invalid', decision: 'refused', reason: error.userMessage };
  if (error instanceof GateRefusal)
    return { kind: error.kind, decision: 'refused', reason: error.userMessage, detail: error.detail };
  if (error instanceof PolicyDenial)
    return {
      kind: 'request.denied',
      decision: 'denied',
      reason: error.reason,
      rule: `policy: ${deps.authorizer.source}`,
    };
  return { kind: 'request.failed', reason: error instanceof AppError ? error.userMessage : 'internal error' };
}

const ephemeral = (message: SlackMessage): CommandAck => ({ response_type: 'ephemeral', ...message });

function refuse(error: unknown, deps: GatewayDeps): CommandAck {
  if (error instanceof ParseError) {
    return ephemeral(
      renderError({
        message: error.userMessage,
        ...(error.usage ? { usage: `/k8s ${error.usage}` } : {}),
        ...(error.suggestion ? { suggestion: error.suggestion } : {}),
      }),
    );
  }
  const appError = asAppError(error, 'gw', (ref, cause) =>
    deps.log('error', 'gateway failed', { ref, error: cause instanceof Error ? cause.stack : String(cause) }),
  );
  return ephemeral(renderError({ message: appError.userMessage }));
}

async function postRoot(deps: GatewayDeps, actor: Actor, request: CommandRequest): Promise<string> {
  const message = renderJobStatus({ requester: actor.userId, description: request.description, state: 'queued' });
  try {
    const posted = await deps.client.chat.postMessage({
      channel: actor.channelId,
      text: message.text,
      blocks: message.blocks,
    });
    if (!posted.ts) throw new AppError('unavailable', 'Slack did not return the message it posted.');
    return posted.ts;
  } catch (error) {
    const code = slackErrorCode(error);
    if (code === 'not_in_channel' || code === 'channel_not_found') {
      throw new AppError(
        'bad_input',
        'I am not in this channel, so I cannot report back here. Invite me with `/invite @Coxswain` and ask again.',
      );
    }
    throw new AppError('unavailable', 'Slack did not accept my message; nothing was queued. Please try again.', {
      cause: error,
    });
  }
}

/** What the gateway answers: the ack, and work that may follow it (Slack waits 3 s for the ack, not for this). */
export interface CommandAnswer {
  readonly ack: CommandAck;
  /** Posts the thread root and enqueues; a failure is told to the user through `tell` (the response_url). */
  readonly after?: (tell: (message: NonNullable<CommandAck>) => Promise<void>) => Promise<void>;
}

/** A request the policy allowed, on its way to the queue. */
interface Allowed {
  readonly command: SlashCommand;
  readonly actor: Actor;
  readonly request: CommandRequest;
  readonly decision: Decision;
}

async function queueJob(deps: GatewayDeps, a: Allowed): Promise<CommandAnswer> {
  const { command, actor } = a;
  const jobId = jobIdFor(command.team_id, command.trigger_id);
  const rule = deps.authorizer.approvalRule(accessOf(a.request));
  // A change of a deployment joins that deployment's line as it is claimed, so the jobs act in the order they were
  // acked. One that needs approval joins when it is approved (the worker puts it at the end of the line then).
  const line = rule ? undefined : a.request.line;
  const claim: ClaimOptions = {
    prefix: deps.keyPrefix,
    jobId,
    userId: actor.userId,
    channelId: actor.channelId,
    text: command.text,
    ...(line ? { line } : {}),
  };
  const outcome = await claimRequest(deps.redis, claim).catch((error: unknown) => {
    throw new AppError(
      'unavailable',
      'The job queue (Redis) is unreachable; nothing was queued. Please try again shortly.',
      { cause: error },
    );
  });
  const fields = { ...requestFields(command, a.request), jobId };
  if (outcome === 'redelivered') {
    await deps.audit.record({
      kind: 'request.duplicate',
      ...fields,
      reason: 'Slack delivered this request again; it runs once',
    });
    return { ack: undefined };
  }
  if (outcome === 'repeated') {
    await deps.audit.record({
      kind: 'request.repeated',
      ...fields,
      decision: 'refused',
      reason: 'the same text from the same person within seconds',
    });
    return {
      ack: ephemeral(
        renderError({ message: 'You asked for exactly this a moment ago; it is already queued (see its thread).' }),
      ),
    };
  }
  await refuseIfTooMany(deps, actor, claim);
  // Ack first (STYLE habit 1): the claim already makes the request ours; posting and enqueueing follow.
  if (rule) return { ack: undefined, after: (tell) => holdForApproval(deps, { ...a, jobId, claim }, rule, tell) };
  return { ack: undefined, after: (tell) => postAndEnqueue(deps, { ...a, jobId, claim }, tell) };
}

/** A person with as many jobs queued or running as COXSWAIN_MAX_QUEUED_PER_USER allows gets no more until one ends. */
async function refuseIfTooMany(deps: GatewayDeps, actor: Actor, claim: ClaimOptions): Promise<void> {
  const queued = await deps.limits.queued(actor.userId);
  if (queued.allowed) return;
  await releaseRequest(deps.redis, claim).catch(() => undefined);
  throw new GateRefusal({
    kind: 'request.limited',
    code: 'limited',
    recorded: await deps.limits.firstRefusal(actor.userId, 'queued'),
    message: `You have ${queued.count} jobs queued or running, as many as Coxswain takes from one person at once; ask again when one of them has finished. Nothing was queued.`,
    detail: { limitedBy: 'queued', queued: queued.count },
  });
}

/** Opens an approval request instead of queueing: the card becomes the thread, the job waits for the votes. */
async function holdForApproval(
  deps: GatewayDeps,
  c: Claimed,
  rule: ApprovalRule,
  tell: (message: NonNullable<CommandAck>) => Promise<void>,
): Promise<void> {
  const { actor, request } = c;
  const fields = { ...requestFields(c.command, request), jobId: c.jobId };
  try {
    const held = {
      actor,
      command: request.command.name,
      input: request.input,
      description: request.description,
      target: request.target ?? { namespace: '' },
    };
    const opened = await deps.approvals.open(held, rule);
    await deps.limits.jobQueued(actor.userId, `plan-${opened.id}`).catch(() => undefined);
    await deps.audit.record({
      kind: 'approval.requested',
      ...fields,
      decision: 'allowed',
      ...(c.decision.allowed ? { rule: c.decision.rule } : {}),
      reason: `needs ${rule.required} approval(s)`,
      detail: { request: opened.id },
    });
  } catch (error) {
    await deps.audit.record({
      kind: 'request.failed',
      ...fields,
      reason: error instanceof AppError ? error.userMessage : 'could not open an approval request',
    });
    await releaseRequest(deps.redis, c.claim).catch(() => undefined);
    const message = refuse(
      error instanceof AppError
        ? error
        : new AppError('unavailable', 'Could not open the approval request; nothing was done. Please try again.', {
            cause: error,
          }),
      deps,
    );
    if (message) await tell(message);
  }
}

interface Claimed extends Allowed {
  readonly jobId: string;
  readonly claim: ClaimOptions;
}

async function postAndEnqueue(
  deps: GatewayDeps,
  c: Claimed,
  tell: (message: NonNullable<CommandAck>) => Promise<void>,
): Promise<void> {
  const { jobId, actor, request } = c;
  const fields = { ...requestFields(c.command, request), jobId };
  let ts: string | undefined;
  try {
    ts = await postRoot(deps, actor, request);
    const payload: JobPayload = {
      v: 1,
      command: request.command.name,
      input: request.input,
      actor,
      root: { channel: actor.channelId, ts },
      description: request.description,
      cluster: deps.cluster,
      requestedAt: new Date().toISOString(),
    };
    // Recorded before enqueueing, so the trail never shows a job starting before its request was allowed.
    await deps.audit.record({
      kind: 'request.queued',
      ...fields,
      decision: 'allowed',
      ...(c.decision.allowed ? { rule: c.decision.rule } : {}),
    });
    await deps.queue.enqueue(jobId, payload);
    await deps.limits.jobQueued(actor.userId, jobId).catch(() => undefined);
    deps.log('info', 'queued', { jobId, command: request.command.name, user: actor.userId, channel: actor.channelId });
  } catch (error) {
    await deps.audit.record({
      kind: 'request.failed',
      ...fields,
      reason: error instanceof AppError ? error.userMessage : 'could not be queued',
    });
    await releaseRequest(deps.redis, c.claim).catch(() => undefined);
    if (ts) await markNotQueued(deps, actor, request, ts);
    const appError =
      error instanceof AppError
        ? error
        : new AppError(
            'unavailable',
            'The job queue (Redis) is unreachable; nothing was queued. Please try again shortly.',
            { cause: error },
          );
    const message = refuse(appError, deps);
    if (message) await tell(message);
  }
}

async function markNotQueued(deps: GatewayDeps, actor: Actor, request: CommandRequest, ts: string): Promise<void> {
  const message = renderJobStatus({
    requester: actor.userId,
    description: request.description,
    state: 'failed',
    reason: 'could not be queued; nothing was done',
  });
  await deps.client.chat
    .update({ channel: actor.channelId, ts, text: message.text, blocks: message.blocks })
    .catch(() => undefined);
}

/**
 * The policy check of any request with a verb, on its target (a gateway command may declare one: lock), else on the
 * verb.
 */
async function authorize(deps: GatewayDeps, actor: Actor, request: CommandRequest): Promise<Decision> {
  if (request.verb === 'none') return { allowed: true, rule: 'needs no permission' };
  const access = accessOf(request);
  const decision = await deps.authorizer.check(actor, access);
  if (decision.allowed) {
    await refuseIfHeld(deps, actor, request);
    return decision;
  }
  deps.log('info', 'denied', {
    user: actor.userId,
    channel: actor.channelId,
    command: request.command.name,
    ...access,
    reason: decision.reason,
  });
  throw new PolicyDenial(decision.reason, deps.authorizer.source);
}

/** A change of a target someone else holds (/k8s lock) is refused, naming who, since when and why. */
async function refuseIfHeld(deps: GatewayDeps, actor: Actor, request: CommandRequest): Promise<void> {
  if (!request.line || !request.target) return;
  const hold = await deps.holds.blocking(request.target.namespace, request.target.deployment, actor.userId);
  if (hold) throw new AppError('locked', `${describeHold(hold)}. Only they can change it until then.`);
}

/** help, whoami, can-i, audit: answered in the ack, only to the asker (audit output is sensitive). */
async function answerAtGateway(deps: GatewayDeps, a: Allowed): Promise<CommandAnswer> {
  const { actor, request } = a;
  if (request.command.runsIn !== 'gateway') throw new Error(`${request.command.name} does not run at the gateway`);
  const access = await deps.authorizer.summarize(actor);
  const approvals = { vote: (vote: Omit<Vote, 'actor'>) => deps.approvals.vote({ ...vote, actor }) };
  const result = await request.command.run(request.args, {
    actor,
    cluster: deps.cluster,
    commands: deps.registry.commands,
    access,
    audit: deps.audit,
    approvals,
    holds: deps.holds,
  });
  await deps.audit.record({
    kind: 'request.answered',
    ...requestFields(a.command, request),
    decision: 'allowed',
    ...(a.decision.allowed ? { rule: a.decision.rule } : {}),
  });
  return { ack: ephemeral(renderResult(result)) };
}

/** The person, if their workspace may ask at all; a guest carries their own workspace into every decision. */
function admit(deps: GatewayDeps, command: SlashCommand): Actor {
  const verdict = deps.workspaces.check({
    userId: command.user_id,
    team: command.team_id,
    ...(command.enterprise_id ? { enterprise: command.enterprise_id } : {}),
    ...(command.user_team_id ? { userTeam: command.user_team_id } : {}),
  });
  if (!verdict.ok) {
    throw new GateRefusal({
      kind: 'request.refused',
      code: 'forbidden',
      message: verdict.reason,
      recorded: true,
      detail: {
        reason: 'foreign_workspace',
        team: command.team_id,
        ...(command.user_team_id ? { userTeam: command.user_team_id } : {}),
      },
    });
  }
  return {
    userId: command.user_id,
    userName: command.user_name,
    teamId: command.user_team_id ?? command.team_id,
    channelId: command.channel_id,
    ...(verdict.externalTeam ? { externalTeam: verdict.externalTeam } : {}),
  };
}

/**
 * One token from the person's and the channel's buckets; the first refusal in a minute is recorded, the rest only
 * counted. With Redis unreachable the buckets cannot be read: the request goes on (help, whoami and can-i still
 * answer; anything that needs the queue is refused by the queue), and the log says the limits were not checked.
 */
async function checkRate(deps: GatewayDeps, actor: Actor): Promise<void> {
  const verdict = await deps.limits.take(actor.userId, actor.channelId).catch((error: unknown) => {
    deps.log('warn', 'request rates not checked: Redis did not answer', {
      error: error instanceof Error ? error.message : String(error),
    });
    return { allowed: true } as const;
  });
  if (verdict.allowed) return;
  const who = verdict.limitedBy === 'user' ? 'you are' : 'this channel is';
  throw new GateRefusal({
    kind: 'request.limited',
    code: 'limited',
    recorded: await deps.limits.firstRefusal(actor.userId, `rate-${verdict.limitedBy}`),
    message: `Too many requests: ${who} asking faster than Coxswain allows. Try again in ${describeWait(verdict.retryAfterMs)}; nothing was done.`,
    detail: { limitedBy: verdict.limitedBy, retryAfterMs: verdict.retryAfterMs },
  });
}

/** Handles one /k8s request: what to ack with, and what to do after the ack. Never throws. */
export async function handleCommand(gatewayDeps: GatewayDeps, command: SlashCommand): Promise<CommandAnswer> {
  // Every line logged for this request carries its id (the job id it would get), so one grep follows it to the worker.
  const deps: GatewayDeps = {
    ...gatewayDeps,
    log: withFields(gatewayDeps.log, { requestId: jobIdFor(command.team_id, command.trigger_id) }),
  };
  let request: CommandRequest | undefined;
  try {
    const actor = admit(deps, command);
    await checkRate(deps, actor);
    request = parseCommand(deps.registry, command.text, { defaultNamespace: deps.defaultNamespace() });
    const allowed: Allowed = { command, actor, request, decision: await authorize(deps, actor, request) };
    // The one place a request goes one way or the other: answered here at once, or queued for a worker.
    return request.command.runsIn === 'gateway' ? await answerAtGateway(deps, allowed) : await queueJob(deps, allowed);
  } catch (thrown) {
    const error = duringRedisOutage(thrown, deps);
    const ack = refuse(error, deps);
    if (!(error instanceof GateRefusal) || error.recorded)
      await deps.audit.record({ ...requestFields(command, request), ...refusalFields(error, deps) });
    return { ack };
  }
}

/**
 * An unexpected error while the gateway's Redis connection is down comes from the outage, whichever read
 * failed (a /k8s lock hold, an approval, the audit trail): the user is told to try again, not "internal error".
 */
function duringRedisOutage(error: unknown, deps: GatewayDeps): unknown {
  if (error instanceof AppError || deps.redis.status === 'ready') return error;
  return new AppError(
    'unavailable',
    'The job queue (Redis) is unreachable; nothing was done. Please try again shortly.',
    { cause: error },
  );
}
