import { z } from 'zod';
import { parseDuration } from '../src/text/duration.ts';
import { deploymentName, namespaceFlag, namespaceName } from '../src/parse/arguments.ts';
import { describeHold } from '../src/holds/hold-store.ts';
import { defineCommand, type CommandTarget } from '../src/registry/command-spec.ts';

/** Longest --for, and the default. (A hold's whole life, renewals included, is capped by COXSWAIN_MAX_HOLD.) */
export const maxHoldMs = 24 * 3600_000;
const defaultHoldMs = 3600_000;

/** A hold's key ("prod" or "prod/web"), its namespace, and its deployment unless it holds the whole namespace. */
export interface HoldTarget {
  readonly key: string;
  readonly namespace: string;
  readonly deployment?: string;
}

/**
 * `web` (a deployment in -n), `deploy/web`, or `ns/prod` / `namespace/prod` (a whole namespace), with -n, as a hold's
 * target.
 */
function resolveHold(word: string, namespace: string): HoldTarget | string {
  const ns = /^(?:ns|namespace|namespaces)\/(.+)$/i.exec(word);
  if (ns) {
    const parsed = namespaceName.safeParse(ns[1]);
    return parsed.success ? { key: parsed.data, namespace: parsed.data } : `\`${ns[1] ?? ''}\` is not a namespace name`;
  }
  const name = deploymentName.safeParse(word);
  return name.success
    ? { key: `${namespace}/${name.data}`, namespace, deployment: name.data }
    : `\`${word}\` is not a deployment name`;
}

/** What lock and unlock take first: the target word and -n. */
export const holdWords = z.object({ target: z.string(), namespace: namespaceName });

/**
 * Lock's and unlock's words with the target word and -n resolved to the hold's target (a bad name is bad input, said
 * like any other).
 */
export function withHold<A extends { target: string; namespace: string }>(
  a: A,
  ctx: z.RefinementCtx,
): A & { hold: HoldTarget } {
  const hold = resolveHold(a.target, a.namespace);
  if (typeof hold !== 'string') return { ...a, hold };
  ctx.addIssue({ code: 'custom', path: ['target'], message: hold });
  return z.NEVER;
}

/**
 * What the policy is asked about a hold: the deployment, or every deployment of the namespace (a rule limited to
 * `web-*` does not freeze everyone's).
 */
export function holdPolicyTarget(hold: HoldTarget): CommandTarget {
  return hold.deployment
    ? { namespace: hold.namespace, deployment: hold.deployment }
    : { namespace: hold.namespace, wholeNamespace: true };
}

/** The words that give a hold up, for the answer to whoever took it. */
export function unlockWords(target: HoldTarget): string {
  return `/k8s unlock ${target.deployment ? `${target.deployment} -n ${target.namespace}` : `ns/${target.key}`}`;
}

/** /k8s lock: hold a deployment or a namespace; others' changes are refused until unlock or expiry. */
export const lock = defineCommand({
  name: 'lock',
  summary: 'Hold a deployment (or ns/<namespace>) so that only you can change it for a while',
  usage: 'lock <deployment|ns/namespace> [-n namespace] [--for 2h] [reason]',
  examples: ['lock checkout -n prod --for 2h "release 4.2"', 'lock ns/prod --for 30m incident-1234'],
  positionals: ['target', 'reason'],
  flags: {
    namespace: namespaceFlag,
    for: { kind: 'value', description: 'how long: 30m, 2h (default 1h, at most 24h)' },
  },
  schema: () =>
    holdWords
      .extend({
        for: z
          .string()
          .regex(/^\d+[mh]$/, 'a duration such as 30m or 2h')
          .transform((v) => parseDuration(v) ?? 0)
          .pipe(z.number().min(60_000, 'at least 1m').max(maxHoldMs, 'at most 24h'))
          .default(defaultHoldMs),
        reason: z.string().max(300).optional(),
      })
      .strict()
      .transform(withHold),
  verb: 'lock',
  target: (a) => holdPolicyTarget(a.hold),
  runsIn: 'gateway',
  describe: (a) => `lock ${a.hold.key}`,
  run: async (a, ctx) => {
    const { hold } = a;
    const now = Date.now();
    const outcome = await ctx.holds.take({
      target: hold.key,
      userId: ctx.actor.userId,
      since: now,
      until: now + a.for,
      channel: ctx.actor.channelId,
      ...(a.reason ? { reason: a.reason } : {}),
    });
    if (outcome.kind === 'held') return { kind: 'text', text: `Not locked: ${describeHold(outcome.hold)}.` };
    await ctx.audit.record({
      kind: 'lock.taken',
      user: ctx.actor.userId,
      channel: ctx.actor.channelId,
      command: 'lock',
      verb: 'lock',
      namespace: hold.namespace,
      ...(hold.deployment ? { deployment: hold.deployment } : {}),
      decision: 'allowed',
      ...(a.reason ? { reason: a.reason } : {}),
      detail: {
        target: hold.key,
        until: new Date(outcome.hold.until).toISOString(),
        renewed: outcome.kind === 'renewed',
        capped: outcome.capped,
      },
    });
    const capped = outcome.capped
      ? ' (a hold lasts at most COXSWAIN_MAX_HOLD from when it was first taken, renewals included)'
      : '';
    return {
      kind: 'text',
      text: `${outcome.kind === 'renewed' ? 'Renewed' : 'Locked'}: ${describeHold(outcome.hold)}${capped}. Others' changes are refused until then or until \`${unlockWords(hold)}\`.`,
    };
  },
});
