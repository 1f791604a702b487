import { z } from 'zod';
import { approvalIdPattern } from '../approvals/approval-request.ts';

/**
 * What the gateway puts on the queue. The queue is a trust boundary: the worker
 * parses this again and re-validates `input` with the command's own schema, so a
 * forged or stale job cannot act outside the grammar.
 */
export const jobPayloadSchema = z.object({
  v: z.literal(1),
  /** Registry name, e.g. 'deploy' or 'rollout status'. */
  command: z.string().min(1).max(40),
  /** The words as bound to the command's positionals and flags, before validation. */
  input: z.record(z.string(), z.union([z.string().max(1000), z.boolean()])),
  actor: z.object({
    userId: z.string().regex(/^[UW][A-Z0-9]+$/),
    userName: z.string().max(80),
    teamId: z.string().max(20),
    channelId: z.string().regex(/^[CGD][A-Z0-9]+$/),
    externalTeam: z
      .string()
      .regex(/^[TE][A-Z0-9]+$/)
      .optional(),
  }),
  /**
   * The message that shows the job's status (edited as it moves). Replies go to
   * its thread, or to `threadTs` when the status message is itself a reply (an
   * approved job reports inside its approval card's thread).
   */
  root: z.object({
    channel: z.string(),
    ts: z.string().regex(/^\d+\.\d+$/),
    threadTs: z
      .string()
      .regex(/^\d+\.\d+$/)
      .optional(),
  }),
  /** The thread root's wording, e.g. "deploy web to … in staging". */
  description: z.string().max(500),
  cluster: z.string(),
  requestedAt: z.iso.datetime(),
  /**
   * Set for requests that needed approval. `plan` jobs read the target and bind
   * the request to its state; `run` jobs act only if that state still holds.
   */
  approval: z
    .object({
      id: z.string().regex(approvalIdPattern),
      phase: z.enum(['plan', 'run']),
      plan: z
        .object({
          generation: z.number().int(),
          images: z.array(z.string()),
          replicas: z.number().int(),
          change: z.string(),
        })
        .optional(),
      approvedBy: z.array(z.string()).default([]),
    })
    .optional(),
});

/** A validated job payload. */
export type JobPayload = z.infer<typeof jobPayloadSchema>;

/** A job as queued: the payload and its seal (src/seal), made when it was queued (`at`, ms since the epoch). */
export type SealedJob = JobPayload & {
  readonly seal: { readonly kid: string; readonly mac: string; readonly at: number };
};
