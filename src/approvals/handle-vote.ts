// A vote on an approval request, from a button or from `/k8s approve|reject`:
// check that this person may vote on this target, count it, redraw the card,
// and queue the job once approved. Free of Bolt, so it is tested with fakes.
import type { AuditRecorder } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import type { Authorizer } from '../policy/authorizer.ts';
import type { Actor } from '../registry/command-spec.ts';
import { approvalIdPattern, type ApprovalRequest, type VoteOutcome } from './approval-request.ts';
import type { ApprovalStore } from './approval-store.ts';

/** Everything a vote needs, injected. */
export interface VoteDeps {
  readonly store: ApprovalStore;
  readonly authorizer: Pick<Authorizer, 'check' | 'summarize'>;
  /** Redraws the card (chat.update of the request's card). */
  readonly redraw: (request: ApprovalRequest) => Promise<void>;
  /** Queues the approved job in the card's thread; idempotent per request. */
  readonly enqueueApproved: (request: ApprovalRequest) => Promise<void>;
  /** Every vote, counted or refused, goes to the audit trail. */
  readonly audit: AuditRecorder;
}

/** A vote. */
export interface Vote {
  readonly requestId: string;
  readonly actor: Actor;
  readonly decision: 'approve' | 'reject';
  readonly reason?: string;
  /**
   * The message a button click came from (Slack sends its channel and ts). A click counts only on the request's own
   * card: one from another channel or another message names a request it was not drawn for, so it is refused.
   * Absent for `/k8s approve|reject`, which names the request by id.
   */
  readonly clicked?: { readonly channel: string; readonly ts: string };
}

/** Whether this person is among the request's approvers (by role here, user ID or user group). */
async function isApprover(deps: VoteDeps, request: ApprovalRequest, actor: Actor): Promise<boolean> {
  if (request.approvers.users.includes(actor.userId)) return true;
  const access = await deps.authorizer.summarize(actor);
  if (request.approvers.groups.some((g) => access.groups.includes(g))) return true;
  return access.roles.some((r) => request.approvers.roles.includes(r.role));
}

async function refusalFor(deps: VoteDeps, request: ApprovalRequest, vote: Vote): Promise<string | undefined> {
  if (vote.decision === 'reject' && vote.actor.userId === request.requester.userId) return undefined;
  const what = `${vote.decision} ${request.target.deployment ?? ''} in ${request.target.namespace}`.replace('  ', ' ');
  if (!(await isApprover(deps, request, vote.actor)))
    return `You are not one of this request's approvers, so you may not ${what}.`;
  const decision = await deps.authorizer.check(vote.actor, { verb: 'approve', ...request.target });
  return decision.allowed ? undefined : decision.reason;
}

function feedback(outcome: VoteOutcome): string {
  switch (outcome.kind) {
    case 'refused':
      return outcome.reason;
    case 'rejected':
      return 'Rejected. Nothing will be done.';
    case 'approved':
      return "Approved: the job is queued in the request's thread.";
    case 'counted':
      return `Counted: ${outcome.request.votes.length} of ${outcome.request.required} approvals.`;
  }
}

async function record(
  deps: VoteDeps,
  vote: Vote,
  request: ApprovalRequest,
  result: { allowed: boolean; reason: string },
): Promise<void> {
  await deps.audit.record({
    kind: 'approval.vote',
    user: vote.actor.userId,
    channel: vote.actor.channelId,
    command: request.command,
    description: request.description,
    ...request.target,
    decision: result.allowed ? 'allowed' : 'denied',
    reason: `${vote.decision}: ${result.reason}`,
    detail: { request: request.id, requester: request.requester.userId },
  });
}

/** Why a click is not one on this request's card, or undefined when it is (or the vote was typed). */
function misplacedClick(request: ApprovalRequest, vote: Vote): string | undefined {
  const clicked = vote.clicked;
  if (!clicked) return undefined;
  if (clicked.channel !== request.channel) {
    return `This click came from another channel than request \`${request.id}\`'s card (in <#${request.channel}>); a vote counts only on its own card. Nothing changed.`;
  }
  if (clicked.ts !== request.cardTs)
    return `This button is not on request \`${request.id}\`'s card; a vote counts only on its own card. Nothing changed.`;
  return undefined;
}

/** A vote on a request that does not exist is refused, and recorded: a made-up id is worth an auditor's look. */
async function refuseMissing(deps: VoteDeps, vote: Vote): Promise<string> {
  const known = approvalIdPattern.test(vote.requestId);
  const answer = known
    ? `There is no approval request \`${vote.requestId}\`.`
    : 'That is not an approval request id; nothing changed.';
  await deps.audit.record({
    kind: 'approval.vote',
    user: vote.actor.userId,
    channel: vote.actor.channelId,
    decision: 'refused',
    reason: `${vote.decision}: no such approval request${vote.clicked ? ' (button click)' : ''}`,
    detail: { request: vote.requestId.slice(0, 64) },
  });
  return answer;
}

/** A request whose record the bot did not write as it is (its seal fails) is not voted on; the attempt is recorded. */
async function refuseTampered(deps: VoteDeps, vote: Vote, error: AppError): Promise<string> {
  await deps.audit.record({
    kind: 'approval.vote',
    user: vote.actor.userId,
    channel: vote.actor.channelId,
    decision: 'refused',
    reason: `${vote.decision}: ${error.userMessage}`,
    detail: { request: vote.requestId.slice(0, 64) },
  });
  return error.userMessage;
}

/** The request voted on; undefined for an id that is not one. A record whose seal fails throws AppError 'forbidden'. */
async function requestOf(deps: VoteDeps, vote: Vote): Promise<ApprovalRequest | undefined> {
  return approvalIdPattern.test(vote.requestId) ? deps.store.get(vote.requestId) : undefined;
}

/** Applies a vote and returns what to tell the voter (ephemerally). Nothing changes on a refusal. */
export async function handleVote(deps: VoteDeps, vote: Vote): Promise<string> {
  const request = await requestOf(deps, vote).catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'forbidden') return error;
    throw error;
  });
  if (request instanceof AppError) return refuseTampered(deps, vote, request);
  if (!request) return refuseMissing(deps, vote);
  const refused = misplacedClick(request, vote) ?? (await refusalFor(deps, request, vote));
  if (refused) {
    await record(deps, vote, request, { allowed: false, reason: refused });
    return refused;
  }
  const outcome =
    vote.decision === 'approve'
      ? await deps.store.vote(request.id, vote.actor.userId)
      : await deps.store.reject(request.id, vote.actor.userId, vote.reason);
  await record(deps, vote, outcome.request, { allowed: outcome.kind !== 'refused', reason: feedback(outcome) });
  if (outcome.kind !== 'refused') await deps.redraw(outcome.request);
  if (outcome.kind === 'approved') await deps.enqueueApproved(outcome.request);
  return feedback(outcome);
}
