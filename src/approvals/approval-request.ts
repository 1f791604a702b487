// An approval request as stored in Redis: what was asked, by whom, the plan it
// is bound to, the votes, and how it ended. Pure functions decide what a vote or
// a rejection does, so the rules are tested without Redis.

/** The letters of approval request ids: short enough to type in `/k8s approve <id>`, unambiguous (no 0/O, 1/l/i). */
export const approvalIdAlphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
/**
 * An approval request id: six letters of the alphabet above. The one pattern the gateway, the queue and the commands
 * check.
 */
export const approvalIdPattern = /^[a-hjkmnp-z2-9]{6}$/;

/** The state of the target when the request was made; the approved job acts only if it still holds. */
export interface ApprovalPlan {
  readonly generation: number;
  readonly images: readonly string[];
  readonly replicas: number;
  /** "web: ghcr.io/acme/web:1.0 → ghcr.io/acme/web:1.1", shown on the card. */
  readonly change: string;
}

/** Where a request stands. */
export type ApprovalState = 'planning' | 'pending' | 'approved' | 'rejected' | 'expired' | 'failed';

/** Who may approve, from the policy's approval rule. */
export interface Approvers {
  readonly roles: readonly string[];
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

/** One approval request. */
export interface ApprovalRequest {
  readonly id: string;
  readonly state: ApprovalState;
  readonly requester: { readonly userId: string; readonly userName: string; readonly teamId: string };
  readonly channel: string;
  /** The card's message ts: the thread root of the request and, once approved, of its job. */
  readonly cardTs?: string;
  /** Registry name and the words as typed, re-validated when the job runs. */
  readonly command: string;
  readonly input: Readonly<Record<string, string | boolean>>;
  readonly description: string;
  readonly target: { readonly namespace: string; readonly deployment?: string };
  readonly required: number;
  readonly approvers: Approvers;
  readonly allowSelfApproval: boolean;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly plan?: ApprovalPlan;
  readonly votes: readonly { readonly userId: string; readonly at: number }[];
  readonly rejectedBy?: { readonly userId: string; readonly reason?: string; readonly at: number };
  /** Why the plan could not be read (state 'failed'). */
  readonly failure?: string;
}

/** What a vote or rejection did. */
export type VoteOutcome =
  | { readonly kind: 'counted'; readonly request: ApprovalRequest }
  | { readonly kind: 'approved'; readonly request: ApprovalRequest }
  | { readonly kind: 'rejected'; readonly request: ApprovalRequest }
  | { readonly kind: 'refused'; readonly reason: string; readonly request: ApprovalRequest };

function refusal(request: ApprovalRequest, now: number): string | undefined {
  if (request.state === 'planning')
    return 'This request is still reading the current state of its target; try again in a moment.';
  if (request.state !== 'pending') return `This request is already ${request.state}; nothing changed.`;
  if (now >= request.expiresAt) return 'This request has expired; nothing changed.';
  return undefined;
}

/** Applies an approval by `userId` at `now` (permission to approve is checked by the caller). */
export function applyVote(request: ApprovalRequest, userId: string, now: number): VoteOutcome {
  const closed = refusal(request, now);
  if (closed) return { kind: 'refused', reason: closed, request };
  if (userId === request.requester.userId && !request.allowSelfApproval) {
    return {
      kind: 'refused',
      reason: 'You asked for this, and the policy does not let requesters approve their own requests.',
      request,
    };
  }
  if (request.votes.some((v) => v.userId === userId))
    return { kind: 'refused', reason: 'You already approved this request; each approver counts once.', request };
  const votes = [...request.votes, { userId, at: now }];
  const approved = votes.length >= request.required;
  const next: ApprovalRequest = { ...request, votes, state: approved ? 'approved' : 'pending' };
  return { kind: approved ? 'approved' : 'counted', request: next };
}

/** Applies a rejection: one is enough, and who and why are kept. The requester may withdraw their own. */
export function applyRejection(
  request: ApprovalRequest,
  userId: string,
  reason: string | undefined,
  now: number,
): VoteOutcome {
  const closed = refusal(request, now);
  if (closed) return { kind: 'refused', reason: closed, request };
  const rejectedBy = { userId, at: now, ...(reason ? { reason } : {}) };
  return { kind: 'rejected', request: { ...request, state: 'rejected', rejectedBy } };
}
