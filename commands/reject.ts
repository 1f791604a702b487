import { z } from 'zod';
import { defineCommand } from '../src/registry/command-spec.ts';
import { requestId } from './approve.ts';

/** /k8s reject <id> [reason]: the Reject button, typed, with a reason. */
export const reject = defineCommand({
  name: 'reject',
  summary: 'Reject a request waiting for approval, optionally saying why',
  usage: 'reject <request-id> [reason]',
  examples: ['reject k7m2pq "not during the freeze"'],
  positionals: ['id', 'reason'],
  flags: {},
  schema: () => z.object({ id: requestId, reason: z.string().max(500).optional() }).strict(),
  verb: 'none',
  runsIn: 'gateway',
  describe: (a) => `reject ${a.id}`,
  run: async (a, ctx) => ({
    kind: 'text',
    text: await ctx.approvals.vote({ requestId: a.id, decision: 'reject', ...(a.reason ? { reason: a.reason } : {}) }),
  }),
});
