// Opening an approval request at the gateway, where the cluster may not be
// called: store the request, post its card (which becomes the thread), and
// queue a plan job; the worker reads the target, binds the plan and shows the
// buttons.
import type { ApprovalRule } from '../policy/policy-schema.ts';
import { parseDuration } from '../text/duration.ts';
import type { Actor } from '../registry/command-spec.ts';
import type { ApprovalRequest } from './approval-request.ts';
import type { ApprovalStore } from './approval-store.ts';

/** What the gateway knows about the request it is holding for approval. */
export interface HeldCommand {
  readonly actor: Actor;
  readonly command: string;
  readonly input: Readonly<Record<string, string | boolean>>;
  readonly description: string;
  readonly target: { readonly namespace: string; readonly deployment?: string };
}

/** Everything opening needs, injected. */
export interface OpenApprovalDeps {
  readonly store: ApprovalStore;
  /** Posts the card and returns its ts. */
  readonly postCard: (request: ApprovalRequest) => Promise<string>;
  /** Queues the plan job for the request (its thread is the card). */
  readonly enqueuePlan: (request: ApprovalRequest) => Promise<void>;
}

/** "30m" → 1 800 000; the policy schema has validated the text, 30 min is only a backstop. */
export function durationMs(text: string): number {
  return parseDuration(text) ?? 30 * 60_000;
}

/** Opens the request under `rule`, posts its card and queues its plan. */
export async function openApproval(
  deps: OpenApprovalDeps,
  held: HeldCommand,
  rule: ApprovalRule,
  now = Date.now(),
): Promise<ApprovalRequest> {
  const opened = await deps.store.open({
    requester: { userId: held.actor.userId, userName: held.actor.userName, teamId: held.actor.teamId },
    channel: held.actor.channelId,
    command: held.command,
    input: held.input,
    description: held.description,
    target: held.target,
    required: rule.required,
    allowSelfApproval: rule.allowSelfApproval,
    approvers: {
      roles: rule.approvers.roles ?? [],
      users: rule.approvers.users ?? [],
      groups: rule.approvers.groups ?? [],
    },
    createdAt: now,
    expiresAt: now + durationMs(rule.expiresAfter),
  });
  const ts = await deps.postCard(opened);
  const withCard = await deps.store.setCard(opened.id, ts);
  await deps.enqueuePlan(withCard);
  return withCard;
}
