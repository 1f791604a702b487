// What a worker does with one job, free of BullMQ and Slack so it can be tested
// with fakes: re-validate, lock the target if the command changes it, run it,
// report progress and the result, and decide whether a failure is worth a retry.
import type { AuditRecorder } from '../audit/audit-log.ts';
import type { AuditEntry } from '../audit/audit-record.ts';
import { AppError, asAppError } from '../errors.ts';
import { withFields } from '../log/create-logger.ts';
import { describeIdentity, type KubeApi, type KubeIdentity } from '../kube/kube-api.ts';
import type { Authorizer } from '../policy/authorizer.ts';
import type { WorkerApprovals } from '../approvals/worker-approvals.ts';
import { describeHold, type HoldStore } from '../holds/hold-store.ts';
import type { CommandRegistry } from '../registry/command-registry.ts';
import type { WorkerCommandSpec, WorkerContext } from '../registry/command-spec.ts';
import { accessOf, ParseError, resolveCommand, type CommandRequest } from '../parse/parse-command.ts';
import type { Decision } from '../policy/decide.ts';
import type { CommandResult } from '../results.ts';
import type { JobStatusView } from '../views/job-status-view.ts';
import { renderResult } from '../views/render-result.ts';
import { renderError } from '../views/render-error.ts';
import { renderText } from '../views/render-text.ts';
import { WaitInLine, type HeldLock, type LockHolder } from './deployment-lock.ts';
import type { RolloutMarks } from '../alerts/rollout-marks.ts';
import { inOrder, type JobMessenger } from './job-messenger.ts';
import { jobPayloadSchema, type JobPayload } from './job-payload.ts';
import { sealedContent } from './job-queue.ts';
import { describeSealProblem, type Sealer } from '../seal/sealer.ts';
import { redactResult } from '../text/redact-result.ts';

/**
 * A sealed job older than this is not run: a queue that held it that long is not one to trust, and it bounds replays.
 */
export const maxJobAgeMs = 24 * 3_600_000;

/** Everything runJob needs, injected. */
export interface JobRunnerDeps {
  readonly registry: CommandRegistry;
  /** How long a job follows a rollout before it reports a timeout (COXSWAIN_ROLLOUT_TIMEOUT). */
  readonly rolloutTimeoutMs: number;
  /** The cluster as the bot's own identity. */
  readonly kube: KubeApi;
  /** The cluster acting as a Kubernetes identity a policy binding names (impersonation). */
  readonly kubeAs: (identity: KubeIdentity) => KubeApi;
  readonly cluster: string;
  readonly messengerFor: (payload: JobPayload) => JobMessenger;
  /** Takes the per-deployment lock; onWait is told who holds it. */
  readonly lock: (
    target: string,
    holder: Omit<LockHolder, 'since'>,
    onWait: (h: LockHolder) => void,
  ) => Promise<HeldLock>;
  /** The policy check, run again right before acting: the policy may have changed while the job waited. */
  readonly authorizer: Pick<Authorizer, 'check'>;
  /** Least time between two progress edits of one thread root. Default 1000 ms. */
  readonly progressIntervalMs?: number;
  readonly log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  /** Records the job's start, refusal, retries and end. */
  readonly audit: AuditRecorder;
  /** Holds from /k8s lock, checked again before a mutation. */
  readonly holds: Pick<HoldStore, 'blocking'>;
  /** Where each change of a deployment was asked from, so failed-pod alerts can be said in that thread. */
  readonly rollouts?: Pick<RolloutMarks, 'remember'>;
  /** Plan jobs of approval requests, and the approval a job needs before it may act. */
  readonly approvals: Pick<WorkerApprovals, 'bindPlan' | 'failPlan' | 'verify'>;
  /** Checks each job's seal: only jobs the bot sealed run (Redis is not the authority). */
  readonly sealer: Pick<Sealer, 'check'>;
  /**
   * Whether /k8s logs output in a namespace goes only to the person who asked (the policy's logs.requesterOnly).
   * Default: never.
   */
  readonly logsRequesterOnly?: (namespace: string) => boolean;
  /**
   * Told when a job has ended for good, so it no longer counts against its person's bound on queued jobs. Default:
   * nothing.
   */
  readonly jobEnded?: (userId: string, jobId: string) => Promise<void>;
}

/** The job as BullMQ hands it over, reduced to what runJob reads. */
export interface JobEnvelope {
  readonly id: string;
  readonly data: unknown;
  /** 1 on the first try. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly signal: AbortSignal;
  /** The worker that ran this job before was lost mid-run (BullMQ moved the stalled job back). Default false. */
  readonly resumed?: boolean;
}

/** How a run ended, for the queue: done, retry later, give up, or come back when the jobs ahead in line have run. */
export type JobOutcome =
  | { readonly kind: 'done'; readonly result: CommandResult }
  | { readonly kind: 'later'; readonly delayMs: number }
  | { readonly kind: 'retry'; readonly error: AppError }
  | { readonly kind: 'failed'; readonly error: AppError };

/** The job's request, worked out again from its words (the queue is a trust boundary), or why it cannot be. */
function resolveJob(deps: JobRunnerDeps, payload: JobPayload): CommandRequest | AppError {
  const command = deps.registry.get(payload.command);
  if (!command || command.runsIn !== 'worker')
    return new AppError('bad_input', `Unknown command \`${payload.command}\`; nothing was run.`);
  if (payload.cluster !== deps.cluster)
    return new AppError(
      'bad_input',
      `This job is for cluster ${payload.cluster}, not ${deps.cluster}; nothing was run.`,
    );
  try {
    return resolveCommand(deps.registry, payload.command, payload.input);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return new AppError('bad_input', "The command's arguments are no longer valid; nothing was run.");
  }
}

/** The fields every record of this job shares; the target when the words still validate. */
function jobFields(jobId: string, payload: JobPayload, request: CommandRequest | AppError): Omit<AuditEntry, 'kind'> {
  const target = request instanceof AppError ? undefined : request.target;
  return {
    user: payload.actor.userId,
    channel: payload.actor.channelId,
    command: payload.command,
    description: payload.description,
    jobId,
    ...(request instanceof AppError ? {} : { verb: request.verb }),
    ...(target ? { namespace: target.namespace, ...(target.deployment ? { deployment: target.deployment } : {}) } : {}),
  };
}

/** A job as the worker has worked it out: its payload, its request, and the fields of its audit records. */
interface ResolvedJob {
  readonly payload: JobPayload;
  readonly request: CommandRequest;
  readonly audited: Omit<AuditEntry, 'kind'>;
}

function throttled(
  intervalMs: number,
  send: (detail: string) => Promise<void>,
): { push: (d: string) => void; flush: () => Promise<void> } {
  let last = 0;
  let pending: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let chain = Promise.resolve();
  const fire = (): void => {
    timer = undefined;
    if (pending === undefined) return;
    const detail = pending;
    pending = undefined;
    last = Date.now();
    chain = chain.then(() => send(detail)).catch(() => undefined);
  };
  return {
    push: (d) => {
      pending = d;
      if (timer) return;
      timer = setTimeout(fire, Math.max(0, last + intervalMs - Date.now()));
    },
    flush: async () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending = undefined;
      await chain;
    },
  };
}

function outcomeOfResult(result: CommandResult): { state: 'succeeded' | 'failed'; reason?: string } {
  if (result.kind !== 'rollout' || result.outcome === 'complete') return { state: 'succeeded' };
  return { state: 'failed', reason: result.reason ?? (result.outcome === 'timeout' ? 'timed out' : 'rollout failed') };
}

/**
 * The policy again, right before acting: it may have changed while the job waited. A refusal is recorded and thrown.
 */
async function recheck(
  deps: JobRunnerDeps,
  { payload, request, audited }: ResolvedJob,
): Promise<Decision & { allowed: true }> {
  const decision = await deps.authorizer.check(payload.actor, accessOf(request));
  if (decision.allowed) return decision;
  await deps.audit.record({
    kind: 'job.refused',
    ...audited,
    decision: 'denied',
    reason: decision.reason,
    rule: 're-checked by the worker: the policy changed after the request',
  });
  throw new AppError('forbidden', `${decision.reason} The policy changed after the request; nothing was done.`);
}

async function execute(
  deps: JobRunnerDeps,
  job: JobEnvelope,
  resolved: ResolvedJob,
  messenger: JobMessenger,
): Promise<CommandResult> {
  const { payload, request, audited } = resolved;
  const command = request.command as WorkerCommandSpec<unknown>;
  const base: JobStatusView = {
    requester: payload.actor.userId,
    description: payload.description,
    state: 'running',
    jobId: job.id,
  };
  const progress = throttled(deps.progressIntervalMs ?? 1000, (detail) => messenger.updateRoot({ ...base, detail }));
  const decision = await recheck(deps, resolved);
  const holder = { jobId: job.id, userId: payload.actor.userId, description: payload.description };
  const lock = command.mutates
    ? await holdTarget(deps, holder, request, (detail) => messenger.updateRoot({ ...base, state: 'waiting', detail }))
    : undefined;
  let keepPlace = false;
  try {
    // Under the lock: the approved plan must still hold when this job's turn comes, not only when it was picked up.
    await deps.approvals.verify(payload, accessOf(request), job.id);
    const actingAs = decision.kubernetes ? `; acting as ${describeIdentity(decision.kubernetes)}` : '';
    await deps.audit.record({
      kind: 'job.started',
      ...audited,
      decision: 'allowed',
      rule: `${decision.rule}${actingAs}`,
      attempt: job.attempt,
    });
    await messenger.updateRoot(base);
    const kube = decision.kubernetes ? deps.kubeAs(decision.kubernetes) : deps.kube;
    const ctx: WorkerContext = {
      actor: payload.actor,
      cluster: deps.cluster,
      kube,
      rolloutTimeoutMs: deps.rolloutTimeoutMs,
      progress: progress.push,
      signal: job.signal,
      resumed: job.resumed === true,
      requestedAt: payload.requestedAt,
      requestId: job.id,
    };
    if (request.line && request.target?.deployment)
      await rememberRollout(deps, payload, request.target.namespace, request.target.deployment);
    return await command.run(request.args, ctx);
  } catch (error) {
    // A job that will be tried again keeps its place in the deployment's line: the jobs behind it wait for it.
    keepPlace = willRetry(error, job);
    throw error;
  } finally {
    await progress.flush();
    await lock?.release({ keepPlace });
  }
}

/** Whether a failure is retried: retryable, with attempts left. */
function willRetry(error: unknown, job: JobEnvelope): boolean {
  return error instanceof AppError && error.retryable && job.attempt < job.maxAttempts;
}

/**
 * Before a mutation: refuse when someone else holds the target (/k8s lock), then
 * take the per-deployment lock, telling the thread whom it waits for.
 */
async function holdTarget(
  deps: JobRunnerDeps,
  holder: Omit<LockHolder, 'since'>,
  request: CommandRequest,
  waiting: (detail: string) => Promise<void>,
): Promise<HeldLock | undefined> {
  const target = request.target;
  if (!target) return undefined;
  const hold = await deps.holds.blocking(target.namespace, target.deployment, holder.userId);
  if (hold) throw new AppError('locked', `${describeHold(hold)}. Nothing was done.`);
  const name = request.line;
  if (!name) return undefined;
  return deps.lock(name, holder, (h) => {
    void waiting(`waiting for ${name}, locked by <@${h.userId}> (${h.description}, job ${h.jobId})`);
  });
}

/** Best effort: a missing mark only means an alert is not repeated in this thread. */
async function rememberRollout(
  deps: JobRunnerDeps,
  payload: JobPayload,
  namespace: string,
  deployment: string,
): Promise<void> {
  const thread = {
    channel: payload.root.channel,
    ts: payload.root.threadTs ?? payload.root.ts,
    userId: payload.actor.userId,
    description: payload.description,
    at: Date.now(),
  };
  await deps.rollouts?.remember(namespace, deployment, thread).catch((error: unknown) => {
    deps.log('warn', 'could not remember the rollout thread', { namespace, deployment, error: String(error) });
  });
}

/** An unexpected failure, logged under the reference the user sees. */
function reportUnexpected(deps: JobRunnerDeps): (ref: string, error: unknown) => void {
  return (ref, error) =>
    deps.log('error', 'job failed with an unexpected error', {
      ref,
      error: error instanceof Error ? error.stack : String(error),
    });
}

/**
 * A plan job reads the target of a held request and shows the card's buttons;
 * it acts on nothing. A failure for good ends the request: the card says why.
 */
async function runPlanJob(deps: JobRunnerDeps, payload: JobPayload): Promise<JobOutcome> {
  const id = payload.approval?.id ?? '';
  try {
    const bound = await deps.approvals.bindPlan(id);
    return { kind: 'done', result: { kind: 'text', text: `plan of approval request ${bound.id} bound` } };
  } catch (error) {
    const appError = asAppError(error, 'plan', reportUnexpected(deps));
    if (appError.retryable) return { kind: 'retry', error: appError };
    await deps.approvals.failPlan(id, appError.userMessage).catch((failure: unknown) => {
      deps.log('warn', 'could not end an approval request whose plan failed', { id, error: String(failure) });
    });
    return { kind: 'failed', error: appError };
  }
}

/** Why the job is not one the bot sealed (or is too old to run), or undefined when it is. */
function sealProblem(deps: JobRunnerDeps, job: JobEnvelope): string | undefined {
  const { seal, ...payload } = (typeof job.data === 'object' && job.data !== null ? job.data : {}) as {
    seal?: { kid?: unknown; mac?: unknown; at?: unknown };
  };
  const at = typeof seal?.at === 'number' ? seal.at : Number.NaN;
  const check = deps.sealer.check('job', sealedContent(job.id, at, payload), seal && { kid: seal.kid, mac: seal.mac });
  if (check !== 'valid') return describeSealProblem(check);
  return Date.now() - at > maxJobAgeMs ? `it was queued more than ${maxJobAgeMs / 3_600_000} h ago` : undefined;
}

/**
 * A job the bot did not seal is someone writing to Redis: nothing is run and nothing is said in Slack (its thread
 * would be theirs to choose); the refusal is logged and recorded with whom the job claims to be from.
 */
async function refuseUnsealed(deps: JobRunnerDeps, job: JobEnvelope, problem: string): Promise<JobOutcome> {
  const claimed = (job.data as { actor?: { userId?: unknown }; command?: unknown } | null) ?? {};
  const text = (value: unknown, max: number): string => (typeof value === 'string' ? value.slice(0, max) : '-');
  const detail = { claimedUser: text(claimed.actor?.userId, 32), claimedCommand: text(claimed.command, 40) };
  deps.log('warn', 'refused a job that is not sealed by Coxswain', { problem, ...detail });
  await deps.audit.record({
    kind: 'job.refused',
    jobId: job.id,
    decision: 'refused',
    reason: `not run: ${problem}; someone other than Coxswain may be writing to its Redis`,
    detail,
  });
  return { kind: 'failed', error: new AppError('forbidden', 'This job is not sealed by Coxswain and was not run.') };
}

/**
 * Runs one job to an outcome. It never throws: the caller maps 'retry' to a
 * retryable failure and 'failed' to an unrecoverable one.
 */
export async function runJob(jobDeps: JobRunnerDeps, job: JobEnvelope): Promise<JobOutcome> {
  // Every line this job logs carries its id, so one grep follows it.
  const deps: JobRunnerDeps = { ...jobDeps, log: withFields(jobDeps.log, { jobId: job.id }) };
  const unsealed = sealProblem(deps, job);
  if (unsealed) return refuseUnsealed(deps, job, unsealed);
  const parsed = jobPayloadSchema.safeParse(job.data);
  if (!parsed.success) {
    // Without a valid payload there is no thread to tell; the log and the audit trail are the only witnesses.
    deps.log('warn', 'rejected a malformed job');
    await deps.audit.record({
      kind: 'job.refused',
      jobId: job.id,
      decision: 'refused',
      reason: 'the job payload is malformed; nothing was run',
    });
    return { kind: 'failed', error: new AppError('bad_input', 'This job is malformed and was not run.') };
  }
  const payload = parsed.data;
  const messenger = inOrder(deps.messengerFor(payload));
  const outcome =
    payload.approval?.phase === 'plan'
      ? await runPlanJob(deps, payload)
      : await runCommandJob(deps, job, payload, messenger);
  if (outcome.kind === 'done' || outcome.kind === 'failed') {
    await deps
      .jobEnded?.(payload.actor.userId, job.id)
      .catch((error: unknown) => deps.log('warn', 'could not count a job as ended', { error: String(error) }));
  }
  return outcome;
}

/**
 * The result in the thread; a pod's logs only to the person who asked where the policy says so, and the thread says
 * that it did.
 */
async function tellResult(
  deps: JobRunnerDeps,
  messenger: JobMessenger,
  payload: JobPayload,
  result: CommandResult,
): Promise<void> {
  if (result.kind !== 'logs' || deps.logsRequesterOnly?.(result.namespace) !== true) {
    await messenger.reply(renderResult(result));
    return;
  }
  await messenger.replyPrivately(renderResult(result));
  await messenger.reply(
    renderText(
      undefined,
      `The logs are shown only to <@${payload.actor.userId}>: the policy keeps /k8s logs in ${result.namespace} to whoever asks.`,
    ),
  );
}

/**
 * The job worked out, or its words refused (recorded: the queue is a trust boundary, and what it stops is worth
 * knowing).
 */
async function resolveAudited(
  deps: JobRunnerDeps,
  payload: JobPayload,
  request: CommandRequest | AppError,
  audited: Omit<AuditEntry, 'kind'>,
): Promise<ResolvedJob> {
  if (!(request instanceof AppError)) return { payload, request, audited };
  await deps.audit.record({ kind: 'job.refused', ...audited, decision: 'refused', reason: request.userMessage });
  throw request;
}

async function runCommandJob(
  deps: JobRunnerDeps,
  job: JobEnvelope,
  payload: JobPayload,
  messenger: JobMessenger,
): Promise<JobOutcome> {
  const startedAt = Date.now();
  const view: JobStatusView = {
    requester: payload.actor.userId,
    description: payload.description,
    state: 'running',
    jobId: job.id,
  };
  const request = resolveJob(deps, payload);
  const audited = jobFields(job.id, payload, request);
  try {
    const resolved = await resolveAudited(deps, payload, request, audited);
    // Cluster text (log lines, events, waiting messages) is redacted before it is told or stored.
    const result = redactResult(await execute(deps, job, resolved, messenger));
    const end = outcomeOfResult(result);
    const durationMs = Date.now() - startedAt;
    await deps.audit.record({
      kind: 'job.finished',
      ...audited,
      outcome: end.state,
      durationMs,
      ...(end.reason ? { reason: end.reason } : {}),
    });
    await tellResult(deps, messenger, payload, result);
    await messenger.updateRoot({
      ...view,
      state: end.state,
      durationMs,
      ...(end.reason ? { reason: end.reason } : {}),
    });
    return { kind: 'done', result };
  } catch (error) {
    // Not a failure: the job gives its slot back and keeps its place in line (nothing was done, nothing to say).
    if (error instanceof WaitInLine) return { kind: 'later', delayMs: error.delayMs };
    const appError = asAppError(error, job.id, reportUnexpected(deps));
    const retry = willRetry(appError, job);
    const durationMs = Date.now() - startedAt;
    await deps.audit.record({
      kind: retry ? 'job.retrying' : 'job.finished',
      ...audited,
      outcome: retry ? 'retrying' : 'failed',
      durationMs,
      reason: appError.userMessage,
      attempt: job.attempt,
    });
    if (retry) {
      await messenger.updateRoot({
        ...view,
        state: 'queued',
        detail: `retrying (attempt ${job.attempt + 1} of ${job.maxAttempts}): ${appError.userMessage}`,
      });
      return { kind: 'retry', error: appError };
    }
    await messenger.reply(renderError({ message: appError.userMessage }));
    await messenger.updateRoot({ ...view, state: 'failed', durationMs, reason: appError.userMessage });
    return { kind: 'failed', error: appError };
  }
}
