import { z } from 'zod';
import { defineCommand } from '../src/registry/command-spec.ts';
import { approvalIdPattern } from '../src/approvals/approval-request.ts';

/** An approval request id as its card shows it. */
export const requestId = z
  .string()
  .regex(approvalIdPattern, 'an approval request id is 6 letters and digits, as on its card');

/** /k8s approve <id>: the Approve button, typed. */
export const approve = defineCommand({
  name: 'approve',
  summary: 'Approve a request waiting for approval (the same as its Approve button)',
  usage: 'approve <request-id>',
  examples: ['approve k7m2pq'],
  positionals: ['id'],
  flags: {},
  schema: () => z.object({ id: requestId }).strict(),
  // Who may approve depends on the request (its approvers and target); the vote checks it.
  verb: 'none',
  runsIn: 'gateway',
  describe: (a) => `approve ${a.id}`,
  run: async (a, ctx) => ({ kind: 'text', text: await ctx.approvals.vote({ requestId: a.id, decision: 'approve' }) }),
});
